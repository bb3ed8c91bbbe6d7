/**
 * Spot evictions end to end: 100 Spot VMs are started with RestartEvicted, the platform evicts 30 of them and a person
 * deallocates 5 others. The eviction watcher (its real timer in the host) tells them apart from the Activity Log and
 * Resource Health: exactly the 30 are started again (verified in the simulator, one restart call each) and the 5 are
 * left alone; each VM's view says what happened. A restart that keeps failing for lack of capacity backs off and ends
 * when the next scheduled stop supersedes it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World } from "../../src/local/world";
import { requestJson } from "../../src/local/httpsJson";
import { principalOf } from "../../src/local/arm-simulator/principal";
import { APP_PRINCIPAL } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

const RG = "rg-spot";
const scopes = { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/${RG}/`] };
let world: World;

beforeAll(async () => {
  world = await World.start({
    fleet: {
      durations: { start: { minSeconds: 20, maxSeconds: 40 }, deallocate: { minSeconds: 10, maxSeconds: 20 }, simulateEviction: { minSeconds: 5, maxSeconds: 10 } },
      subscriptions: [{ subscriptionId: SUB_A, resourceGroups: [{ name: RG, location: "westeurope", vms: [], generate: [{ namePrefix: "spot-", count: 100, powerState: "deallocated", priority: "Spot" }] }] }],
    },
    timeScale: 20,
    settings: { LOCAL_HOST_DISABLE_TIMERS: "false", EVICTION_WATCH_SCHEDULE: "*/2 * * * * *", WATCHDOG_SCHEDULE: "0 0 0 1 1 *" },
  });
});
afterAll(async () => world?.stop());

const acceptedStarts = async (id: string) =>
  (await world.armRequests()).filter((r) => r.operation === "start" && r.status === 202 && r.vmId?.toLowerCase() === id.toLowerCase() && r.principal === APP_PRINCIPAL);

const until = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> => world.eventually(what, probe);

describe("Spot evictions", () => {
  let evicted: string[] = [];
  let userStopped: string[] = [];

  it("restarts exactly the evicted VMs and leaves the ones a person stopped", async () => {
    const start = await world.callFunction("POST", "Scheduled", { Action: "start", RestartEvicted: true, RequestScopes: scopes });
    expect(start.status).toBe(202);
    expect((await world.waitForRequest(start.body.requestId, 90_000)).state).toBe("Succeeded");

    evicted = (await world.sim<{ evicted: string[] }>("POST", "evictions", { region: "westeurope", count: 30 })).evicted;
    expect(evicted).toHaveLength(30);
    const others = (await world.vms()).filter((v) => !evicted.includes(v.id));
    userStopped = others.slice(0, 5).map((v) => v.id);
    for (const id of userStopped) {
      const res = await requestJson(`${world.simUrl}${id}/deallocate?api-version=2024-07-01`, { method: "POST", ca: world.caCertPem, headers: { authorization: "Bearer alice-token" } });
      expect(res.status).toBe(202);
    }

    // The simulator's truth: the 30 run again, the 5 stay deallocated, the other 65 never stopped.
    await until("the evicted VMs to run again", async () => {
      const vms = await world.vms();
      return evicted.every((id) => vms.find((v) => v.id === id)?.powerState === "running");
    });
    const vms = await world.vms();
    expect(vms.filter((v) => userStopped.includes(v.id)).map((v) => v.powerState)).toEqual(Array(5).fill("deallocated"));
    expect(vms.filter((v) => v.powerState === "running")).toHaveLength(95);
    for (const id of evicted) expect(await acceptedStarts(id), id).toHaveLength(2); // the schedule's start, then one restart
    for (const id of userStopped) expect(await acceptedStarts(id), id).toHaveLength(1);

    // Each VM's view says what happened, and the recovery is recorded once the watcher sees it running.
    const view = await until("the recovery to be recorded", async () => {
      const res = await world.callFunction("GET", `vms/${encodeURIComponent(evicted[0]!)}`);
      return res.body.lastEviction?.recoveredAt ? res.body : undefined;
    });
    expect(view.lastEviction).toMatchObject({ verdict: "evicted", detail: "Low priority machine preempted", source: "ResourceHealth", lostRunningOf: start.body.requestId });
    const restart = await world.waitForRequest(view.lastEviction.restartRequestId, 30_000);
    expect(restart).toMatchObject({ action: "start", state: "Succeeded" });
    const stoppedView = (await world.callFunction("GET", `vms/${encodeURIComponent(userStopped[0]!)}`)).body;
    expect(stoppedView.lastEviction).toMatchObject({ verdict: "stoppedByCaller" });
    expect(stoppedView.lastEviction.detail).toContain(principalOf("alice-token"));
    expect(stoppedView.lastEviction.restartRequestId).toBeUndefined();

    // One event per eviction and per recovery (stdout locally; Application Insights in Azure).
    const events = (name: string) => world.hostLogs().filter((l) => l.includes('"telemetry":"event"') && l.includes(`"name":"${name}"`));
    expect(events("VmEvicted")).toHaveLength(30);
    await until("every recovery event", async () => events("VmRecovered").length === 30);
  }, 240_000);

  it("a restart that keeps failing for lack of capacity backs off and ends at the next scheduled stop", async () => {
    const victims = (await world.sim<{ evicted: string[] }>("POST", "evictions", { region: "westeurope", count: 4 })).evicted;
    expect(victims).toHaveLength(4);
    const names = victims.map((id) => id.split("/").pop()!);
    for (const name of names) {
      await world.sim("POST", "faults", { match: { operation: "start", namePattern: name }, effect: { type: "operationFails", code: "AllocationFailed", message: "no Spot capacity" } });
    }
    const firstRestart = await until("the restarts to be tried", async () => {
      const calls = (await world.armRequests()).filter((r) => r.operation === "start" && r.status === 202 && victims.includes(r.vmId ?? ""));
      return calls.length >= 8 ? calls : undefined; // each victim: its original start plus at least one restart
    });
    expect(firstRestart.length).toBeGreaterThanOrEqual(8);
    // Let a couple of capacity backoffs pass, then the evening stop arrives.
    await new Promise((r) => setTimeout(r, 12_000));
    const stop = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: scopes });
    expect((await world.waitForRequest(stop.body.requestId, 90_000)).state).toBe("Succeeded");
    const stopMadeAt = Date.parse((await world.callFunction("GET", `requests/${stop.body.requestId}?top=1`)).body.createdAt);
    await new Promise((r) => setTimeout(r, 3_000));

    const log = await world.armRequests();
    for (const id of victims) {
      const restarts = log.filter((r) => r.operation === "start" && r.status === 202 && r.vmId === id).slice(1);
      expect(restarts.length, id).toBeGreaterThanOrEqual(1);
      // Capacity backoff: at least the first capacity delay (60 simulated seconds, jittered down to half) between tries.
      for (let i = 1; i < restarts.length; i++) expect(Date.parse(restarts[i]!.time) - Date.parse(restarts[i - 1]!.time), id).toBeGreaterThanOrEqual(30_000);
      // The stop superseded the restart: the VM's restart outcome names it, and nothing was tried after that (a call
      // already on its way when the stop was orchestrated may land a moment later).
      const view = (await world.callFunction("GET", `vms/${encodeURIComponent(id)}`)).body;
      const restartOutcome = (await world.allOutcomes(view.lastEviction.restartRequestId)).find((o: any) => o.id === id);
      expect(restartOutcome, id).toMatchObject({ outcome: "Superseded", note: expect.stringContaining(stop.body.requestId) });
      const endedAt = Date.parse(restartOutcome.finishedAt);
      expect(endedAt).toBeGreaterThanOrEqual(stopMadeAt);
      expect(restarts.filter((r) => Date.parse(r.time) > endedAt + 5_000), id).toEqual([]);
    }
    const vms = await world.vms();
    expect(vms.filter((v) => victims.includes(v.id)).map((v) => v.powerState)).toEqual(Array(4).fill("deallocated"));
  }, 240_000);
});
