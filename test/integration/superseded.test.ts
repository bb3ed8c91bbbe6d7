/**
 * Overlapping requests: a stop issued while a start of the same VMs is still running. The stop wins (it is newer):
 * the start's VMs end `Superseded` naming the stop, at once, and the start request finishes within one sweep instead of
 * waiting for its deadline; the stop deallocates every VM, checked in the simulator. Each VM's view shows the stop
 * as its desired state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

let world: World;
beforeAll(async () => {
  const fleet = generatedFleet(
    [{ subscriptionId: SUB_A, resourceGroup: "rg-overlap", location: "westeurope", count: 40, powerState: "deallocated", namePrefix: "o-" }],
    { start: { minSeconds: 300, maxSeconds: 600 }, deallocate: { minSeconds: 20, maxSeconds: 40 } },
  );
  world = await World.start({ fleet, timeScale: 10 });
});
afterAll(async () => world?.stop());

const scopes = { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-overlap/`] };

describe("a stop issued while a start of the same VMs runs", () => {
  it("ends the start's VMs Superseded before the stop sends a call, and the stop deallocates them", async () => {
    const start = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: scopes });
    await world.eventually("the start to call every VM", async () => (await world.armRequests()).filter((r) => r.operation === "start" && r.status === 202).length >= 40, { everyMs: 100 });
    const stop = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: scopes });
    expect(stop.status).toBe(202);

    const started = await world.waitForRequest(start.body.requestId, 60_000);
    expect(started.counts).toMatchObject({ total: 40, Superseded: 40, Failed: 0 });
    expect(started.state).toBe("Succeeded"); // overridden, not failed
    expect(started.message).toMatch(/40 superseded by a later request/);
    const stopped = await world.waitForRequest(stop.body.requestId, 120_000);
    expect(stopped.state).toBe("Succeeded");
    // The start's VMs were done long before its deadline: as soon as the stop was expanded, before the stop sent its
    // first call (the simulator's log): the start never fights the stop, nor waits for its own deadline.
    const stopStatus = (await world.callFunction("GET", `requests/${stop.body.requestId}?top=1`)).body;
    const log = await world.armRequests();
    const deallocatedAt = new Map(log.filter((r) => r.operation === "deallocate" && r.status === 202).map((r) => [r.vmId!.toLowerCase(), Date.parse(r.time)]));
    for (const vm of await world.allOutcomes(start.body.requestId)) {
      expect(vm.outcome).toBe("Superseded");
      expect(vm.note).toContain(stop.body.requestId);
      expect(Date.parse(vm.finishedAt)).toBeGreaterThanOrEqual(Date.parse(stopStatus.createdAt));
      expect(Date.parse(vm.finishedAt)).toBeLessThanOrEqual(deallocatedAt.get(vm.id.toLowerCase())!);
    }
    // The simulator's truth: every VM deallocated, each called once to start and once to deallocate.
    const vms = (await world.vms()).filter((v) => v.name.startsWith("o-"));
    expect(vms.filter((v) => v.powerState !== "deallocated")).toEqual([]);
    expect(log.filter((r) => r.operation === "deallocate" && r.status === 202)).toHaveLength(40);
    expect(log.filter((r) => r.operation === "start" && r.status === 202)).toHaveLength(40);

    const view = await world.callFunction("GET", `vms/${encodeURIComponent(vms[0]!.id)}`);
    expect(view.status).toBe(200);
    expect(view.body.desiredState).toMatchObject({ powerState: "PowerState/deallocated", setBy: stop.body.requestId, action: "stop" });
    expect(view.body.lastRequest).toMatchObject({ requestId: stop.body.requestId, outcome: "Succeeded" });
  });
});
