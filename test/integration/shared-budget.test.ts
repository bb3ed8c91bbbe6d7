/**
 * One budget per subscription, shared by every request and every host instance: two requests of 600 VMs each, posted
 * together, in one subscription + region, worked by two host processes. Each request's plan assumes the whole budget
 * and each instance keeps its own in-memory buckets; only the shared ledger keeps the two from overdrawing Azure's
 * bucket. The bucket replayed over the simulator's timestamps never goes below zero, and no call is throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";
import { lowestTokens } from "../support/bucketReplay";

const compute = { burst: 100, perMinute: 200 };
const writes = { burst: 1000, perSecond: 100 };
let world: World;
beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet(
      ["rg-team-a", "rg-team-b"].map((rg) => ({ subscriptionId: SUB_A, resourceGroup: rg, location: "westeurope", count: 600, powerState: "deallocated" })),
      { start: { minSeconds: 30, maxSeconds: 90 }, deallocate: { minSeconds: 30, maxSeconds: 60 } },
    ),
    timeScale: 15,
    hosts: 2,
    settings: {
      COMPUTE_POWER_BURST: String(compute.burst), COMPUTE_POWER_PER_MINUTE: String(compute.perMinute),
      ARM_WRITES_BURST: String(writes.burst), ARM_WRITES_PER_SECOND: String(writes.perSecond),
    },
  });
  await world.sim("PUT", "limits", {
    enabled: true,
    buckets: { computeUpdateVm: { burst: compute.burst, refillPerSecond: compute.perMinute / 60 }, armWrites: { burst: writes.burst, refillPerSecond: writes.perSecond } },
  });
});
afterAll(async () => world?.stop());

describe("the shared budget", () => {
  it("two requests on two hosts never overdraw the bucket, and every VM arrives", async () => {
    const [a, b] = await Promise.all(["rg-team-a", "rg-team-b"].map((rg) =>
      world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/${rg}/`] } })));
    const [doneA, doneB] = await Promise.all([world.waitForRequest(a!.body.requestId, 400_000), world.waitForRequest(b!.body.requestId, 400_000)]);
    expect([doneA.state, doneB.state]).toEqual(["Succeeded", "Succeeded"]);
    expect((await world.vms()).filter((v) => v.powerState !== "running")).toEqual([]);

    const log = await world.armRequests();
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    const starts = log.filter((r) => r.operation === "start").map((r) => Date.parse(r.time)).sort((x, y) => x - y);
    expect(starts).toHaveLength(1200); // one call per VM
    const lowest = lowestTokens(starts, compute);
    expect(lowest).toBeGreaterThanOrEqual(0);
    // Both hosts did the work, and neither request waited for the other to finish: each had calls accepted in the
    // first third of the run.
    const executions = world.invocationStats().get("VirtualMachineRequestExecutor");
    expect(executions?.succeeded ?? 0).toBeGreaterThan(0);
    const third = starts[0]! + (starts[starts.length - 1]! - starts[0]!) / 3;
    for (const rg of ["rg-team-a", "rg-team-b"]) {
      const early = log.filter((r) => r.operation === "start" && r.vmId?.includes(`/resourceGroups/${rg}/`) && Date.parse(r.time) <= third);
      expect(early.length, rg).toBeGreaterThan(50);
    }
  }, 420_000);
});
