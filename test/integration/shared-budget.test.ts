/**
 * One budget per subscription, shared by every request and every host instance: two requests of 600 VMs each, posted
 * together, in one subscription + region, worked by two host processes. Each request's plan assumes the whole budget
 * and each instance keeps its own in-memory buckets; only the shared ledger keeps the two from overdrawing Azure's
 * bucket. The bucket replayed over the simulator's timestamps never goes below zero, and no call is throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { World } from "../../src/local/world";
import { lowestTokens } from "../support/bucketReplay";
import { startResourceGroup, startBudgetWorld, TIGHT_COMPUTE as compute } from "../support/budgetWorld";

let world: World;
beforeAll(async () => {
  world = await startBudgetWorld({ resourceGroups: [{ name: "rg-team-a", count: 600 }, { name: "rg-team-b", count: 600 }], hosts: 2 });
});
afterAll(async () => world?.stop());

describe("the shared budget", () => {
  it("two requests on two hosts never overdraw the bucket, and every VM arrives", async () => {
    const [a, b] = await Promise.all(["rg-team-a", "rg-team-b"].map((rg) =>
      world.callFunction("POST", "Scheduled", startResourceGroup(rg))));
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
