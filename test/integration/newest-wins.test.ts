/**
 * Newest wins, end to end (real hosts, Azurite, the ARM simulator): a 19:00 stop whose expansion ARM keeps throttling
 * expands only after a 19:01 start of the same VMs has started them. The late stop deallocates nothing (the simulator's
 * log of accepted calls is the proof): its VMs are planned Superseded, naming the start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

let world: World;
beforeAll(async () => {
  const fleet = generatedFleet(
    [{ subscriptionId: SUB_A, resourceGroup: "rg-newest", location: "westeurope", count: 8, powerState: "deallocated", namePrefix: "nw-" }],
    { start: { minSeconds: 10, maxSeconds: 20 }, deallocate: { minSeconds: 10, maxSeconds: 20 } },
  );
  world = await World.start({ fleet, timeScale: 10 });
});
afterAll(async () => world?.stop());

describe("newest wins, end to end", () => {
  it("a delayed older stop never deallocates a VM that a newer start holds", async () => {
    // The stop names the resource group (a list); the start names the VMs (one read each), so only the stop is throttled.
    const throttle = await world.sim<{ id: string }>("POST", "faults", {
      match: { operation: "list", subscriptionId: SUB_A },
      effect: { type: "http", status: 429, code: "TooManyRequests", message: "throttled", retryAfterSeconds: 10 },
    });
    const stop = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-newest/`] } });
    expect(stop.status).toBe(202);
    await world.eventually("the stop's expansion to be throttled", async () => (await world.armRequests()).some((r) => r.operation === "list" && r.status === 429), { everyMs: 100 });

    const ids = (await world.vms()).filter((v) => v.name.startsWith("nw-")).map((v) => v.id);
    const start = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { VMLists: ids } });
    expect(start.status).toBe(202);
    const started = await world.waitForRequest(start.body.requestId, 60_000);
    expect(started.state).toBe("Succeeded");

    // ARM answers the stop's list again: it expands now, 19:01's start already holds every VM.
    await world.sim("DELETE", `faults/${throttle.id}`);
    const stopped = await world.waitForRequest(stop.body.requestId, 60_000);
    expect(stopped.counts).toMatchObject({ total: 8, Superseded: 8, Failed: 0 });
    for (const vm of await world.allOutcomes(stop.body.requestId)) {
      expect(vm.outcome).toBe("Superseded");
      expect(vm.note).toContain(start.body.requestId);
    }
    // The simulator's truth: no deallocate was ever accepted, and every VM runs.
    const log = await world.armRequests();
    expect(log.filter((r) => r.operation === "deallocate")).toEqual([]);
    expect(log.filter((r) => r.operation === "start" && r.status === 202)).toHaveLength(8);
    expect((await world.vms()).filter((v) => v.name.startsWith("nw-") && v.powerState !== "running")).toEqual([]);
  });
});
