/**
 * Killing the host mid-run (SIGKILL, like a crashed worker) and starting it again completes the request:
 * no VM is lost, none is called twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

let world: World;
const acceptedStart = (r: { operation?: string | null; status: number }) => r.operation === "start" && r.status === 202;
beforeAll(async () => {
  const fleet = generatedFleet(
    [{ subscriptionId: SUB_A, resourceGroup: "rg-crash", location: "westeurope", count: 300, powerState: "deallocated" }],
    { start: { minSeconds: 2, maxSeconds: 8 }, deallocate: { minSeconds: 2, maxSeconds: 8 } },
  );
  // A host with small batches keeps plenty of work in flight when it dies.
  world = await World.start({ fleet });
});
afterAll(async () => world?.stop());

describe("crash recovery", () => {
  it("a host killed mid-run and restarted completes the request with every VM once", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } });
    expect(accepted.status).toBe(202);
    await world.eventually("80 accepted starts before the crash", async () => (await world.armRequests()).filter(acceptedStart).length >= 80, { everyMs: 50 });
    await world.killHosts();
    const callsBeforeCrash = (await world.armRequests()).filter(acceptedStart);
    const startsAtCrash = callsBeforeCrash.length;
    const calledBeforeCrash = new Set(callsBeforeCrash.map((r) => r.vmId!));
    expect(startsAtCrash).toBeLessThan(300); // the crash really happened mid-run
    await world.startHost();

    const status = await world.waitForRequest(accepted.body.requestId, 180_000);
    expect(status.state).toBe("Succeeded");
    expect((await world.vms()).filter((v) => v.powerState !== "running")).toEqual([]);
    const outcomes = await world.allOutcomes(accepted.body.requestId);
    expect(outcomes).toHaveLength(300);
    expect(new Set(outcomes.map((o) => o.id.toLowerCase())).size).toBe(300);
    expect(status.counts).toMatchObject({ total: 300, Succeeded: 300, Failed: 0 });
    // A claim (an etag-checked write) lands before every call, so the crash cannot produce a second accepted start
    // for any VM: one accepted start per VM, from the simulator's own log. Calls refused with 429 started nothing
    // (a restarted host does not know how much of ARM's budget the old one spent, and learns it from the answers).
    const perVm = new Map<string, number>();
    for (const r of (await world.armRequests()).filter(acceptedStart)) perVm.set(r.vmId!, (perVm.get(r.vmId!) ?? 0) + 1);
    expect(perVm.size).toBe(300);
    expect([...perVm].filter(([, n]) => n > 1)).toEqual([]);
    expect(calledBeforeCrash.size).toBe(startsAtCrash);
  });
});
