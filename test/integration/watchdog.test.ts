/**
 * Every run ends, whatever happens to its messages: when the execution queue loses its messages mid-run (poisoned,
 * deleted), the watchdog timer re-seeds the verification chain and the run completes with each VM called once; when
 * the VMs cannot reach their state in time, the re-seeded run still ends by its deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

let world: World;
const fleet = (startSeconds: number) => generatedFleet(
  [{ subscriptionId: SUB_A, resourceGroup: "rg-watch", location: "westeurope", count: 60, powerState: "deallocated", namePrefix: "w-" }],
  { start: { minSeconds: startSeconds, maxSeconds: startSeconds * 2 }, deallocate: { minSeconds: 20, maxSeconds: 40 } },
);

beforeAll(async () => {
  world = await World.start({
    fleet: fleet(20),
    timeScale: 10,
    settings: {
      LOCAL_HOST_DISABLE_TIMERS: "false",
      WATCHDOG_SCHEDULE: "*/2 * * * * *",
      // The plan spreads the calls over ~50 simulated seconds, so act messages are still queued when they are lost.
      COMPUTE_POWER_BURST: "10",
      COMPUTE_POWER_PER_MINUTE: "60",
      PACING_SHARE_PERCENT: "100",
    },
  });
});
afterAll(async () => world?.stop());

/** What a poisoned or deleted message means for the run: the message is gone. */
const loseExecutionMessages = () => world.loseQueueMessages("execution-request");

const acceptedStarts = async () => (await world.armRequests()).filter((r) => r.operation === "start" && r.status === 202);

describe("watchdog", () => {
  it("re-seeds a run whose act and verify messages were lost; it completes with each VM called once", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-watch/`] } });
    expect(accepted.status).toBe(202);
    await world.eventually("10 accepted starts", async () => (await acceptedStarts()).length >= 10, { everyMs: 100 });
    await loseExecutionMessages();
    const startsWhenLost = (await acceptedStarts()).length;
    expect(startsWhenLost).toBeLessThan(60); // work really was lost

    const status = await world.waitForRequest(accepted.body.requestId, 120_000);
    expect(status.state).toBe("Succeeded");
    const vms = (await world.vms()).filter((v) => v.name.startsWith("w-"));
    expect(vms.filter((v) => v.powerState !== "running")).toEqual([]);
    const perVm = new Map<string, number>();
    for (const r of await acceptedStarts()) perVm.set(r.vmId!, (perVm.get(r.vmId!) ?? 0) + 1);
    expect(perVm.size).toBe(60);
    expect([...perVm.values()].every((n) => n === 1)).toBe(true);
    // The watchdog's line is a JSON trace locally (its report inside is escaped JSON).
    expect(world.hostLogs().some((l) => /Watchdog: .*reseededSweeps\\?":\[\{/.test(l))).toBe(true);
  });

  it("a run whose verify messages were lost still ends by its deadline, each VM saying why", async () => {
    await world.sim("POST", "fleet?mode=replace", fleet(3600)); // starts take an hour: none can finish in time
    await world.sim("DELETE", "requests");
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", DeadlineMinutes: 5, RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-watch/`] } });
    await world.eventually("all 60 VMs to be called", async () => (await acceptedStarts()).length >= 60, { everyMs: 100 });
    await loseExecutionMessages();
    const status = await world.waitForRequest(accepted.body.requestId, 120_000);
    expect(status.state).toBe("Failed");
    expect(status.counts).toMatchObject({ total: 60, Failed: 60 });
    // Ended at its deadline, not hours later (the VMs' own finish times, in simulated time).
    const vms = await world.allOutcomes(accepted.body.requestId);
    for (const vm of vms) {
      expect(Date.parse(vm.finishedAt) - Date.parse(status.deadline)).toBeLessThan(10 * 60_000);
      expect(vm.errorCode).toBe("DeadlineExceeded");
      expect(vm.errorMessage).toMatch(/deadline/);
    }
    const final = (await world.callFunction("GET", `requests/${accepted.body.requestId}?top=1`)).body;
    expect(final.message).toMatch(/60 failed/);
  });
});
