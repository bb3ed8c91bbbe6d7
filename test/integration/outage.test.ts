/**
 * A platform incident like 2021-10-13 (Windows VM operations failing for a long time, Linux fine): the
 * breaker stops hammering the failing domain and probes, Linux VMs keep moving, and when the incident
 * outlasts the deadline the report names each failed VM with the platform's error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, SUB_B } from "../support/fleets";

let world: World;
const outage = (region: string, seconds: number) => ({
  match: { operation: "start", osType: "Windows", region },
  effect: { type: "operationFails", code: "InternalExecutionError", message: "VM agent extension not found: the operation could not be completed on the platform." },
  window: { startsAfterSeconds: 0, durationSeconds: seconds },
});

beforeAll(async () => {
  const fleet = generatedFleet(
    [
      { subscriptionId: SUB_A, resourceGroup: "rg-win", location: "westeurope", count: 100, powerState: "deallocated", osType: "Windows", namePrefix: "win-" },
      { subscriptionId: SUB_A, resourceGroup: "rg-lin", location: "westeurope", count: 100, powerState: "deallocated", osType: "Linux", namePrefix: "lin-" },
      { subscriptionId: SUB_B, resourceGroup: "rg-win2", location: "eastus", count: 30, powerState: "deallocated", osType: "Windows", namePrefix: "w2-" },
      { subscriptionId: SUB_B, resourceGroup: "rg-lin2", location: "eastus", count: 30, powerState: "deallocated", osType: "Linux", namePrefix: "l2-" },
    ],
    { start: { minSeconds: 20, maxSeconds: 60 }, deallocate: { minSeconds: 20, maxSeconds: 60 } },
  );
  world = await World.start({
    fleet,
    timeScale: 20,
    // Production timings, in simulated seconds.
    settings: { RETRY_BASE_SECONDS: "5", RETRY_MAX_SECONDS: "300", VERIFY_INTERVAL_SECONDS: "15", STALL_GRACE_SECONDS: "300", BREAKER_FAILURE_THRESHOLD: "20", BREAKER_OPEN_SECONDS: "60" },
  });
});
afterAll(async () => world?.stop());

describe("regional outage of Windows VM operations", () => {
  it("keeps Linux moving, does not hammer Windows, and recovers when the outage ends", async () => {
    await world.sim("POST", "faults", outage("westeurope", 900));
    const startedAt = Date.parse((await world.sim("GET", "clock")).now);
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-win/`, `/subscriptions/${SUB_A}/resourceGroups/rg-lin/`] } });
    const status = await world.waitForRequest(accepted.body.requestId, 400_000);
    expect(status.state).toBe("Succeeded");
    const vms = await world.vms();
    expect(vms.filter((v) => /^(win|lin)-/.test(v.name) && v.powerState !== "running")).toEqual([]);

    const runningAt = (name: string) => Date.parse(vms.find((v) => v.name === name)!.history.filter((h) => h.powerState === "running").pop()!.time);
    const linuxDone = Math.max(...vms.filter((v) => v.name.startsWith("lin-")).map((v) => runningAt(v.name)));
    expect((linuxDone - startedAt) / 1000).toBeLessThan(300); // Linux finished long before the outage ended
    const windowsDone = Math.max(...vms.filter((v) => v.name.startsWith("win-")).map((v) => runningAt(v.name)));
    // Recovery lag: from the outage's end to the last Windows VM running. A probe goes out at most one open period
    // (BREAKER_MAX_OPEN_SECONDS, 300 s) after the end; the sweep that sees it reach its target releases every held VM
    // at once, so the rest follow within one slowest start (60 s) plus two verification intervals (2 × 15 s).
    const lagSeconds = (windowsDone - (startedAt + 900_000)) / 1000;
    console.log(`recovery lag after the outage: ${lagSeconds.toFixed(0)} s (simulated)`);
    expect(lagSeconds).toBeLessThan(300 + 60 + 60 + 2 * 15);

    const windowsCalls = (await world.armRequests()).filter((r) => r.operation === "start" && /\/win-/.test(r.vmId ?? ""));
    const duringOutage = windowsCalls.filter((r) => Date.parse(r.time) - startedAt < 900_000);
    // 100 first attempts, then the breaker: a handful of retries before it opened, and probes.
    // Without it, capped exponential backoff alone would send ~6 retries per VM in 15 minutes (~600 calls).
    expect(duringOutage.length).toBeLessThan(100 + 60);
  });

  it("reports each VM the incident kept down at the deadline with the platform's error; the rest succeed", async () => {
    await world.sim("POST", "faults", outage("eastus", 36_000));
    const accepted = await world.callFunction("POST", "Scheduled", {
      Action: "start",
      DeadlineMinutes: 10,
      RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_B}/resourceGroups/rg-win2/`, `/subscriptions/${SUB_B}/resourceGroups/rg-lin2/`] },
    });
    const status = await world.waitForRequest(accepted.body.requestId, 300_000);
    expect(status.state).toBe("PartiallySucceeded");
    expect(status.counts).toMatchObject({ total: 60, Succeeded: 30, Failed: 30 });
    const failed = (await world.callFunction("GET", `requests/${accepted.body.requestId}?outcome=Failed`)).body.vms;
    expect(failed.map((v: any) => v.name).every((n: string) => n.startsWith("w2-"))).toBe(true);
    // Every VM the incident kept down names the platform's error; those the breaker held back say so, with the
    // failing domain and since when.
    for (const vm of failed) {
      expect(["InternalExecutionError", "PlatformOperationsFailing"]).toContain(vm.errorCode);
      expect(vm.errorMessage).toMatch(/deadline/);
      expect(vm.errorMessage).toMatch(/VM agent extension not found/);
      if (vm.errorCode === "PlatformOperationsFailing") {
        expect(vm.errorMessage).toMatch(/Windows VMs in eastus of subscription bbbbbbbb-.*failed in a row since \d{4}-/);
      }
    }
    expect(failed.some((vm: any) => vm.errorCode === "PlatformOperationsFailing")).toBe(true);
    expect(status.message).toMatch(/Failures: .*(PlatformOperationsFailing|InternalExecutionError)/);
  });
});
