/**
 * Expansion resumes instead of starting over: 600 VMs named one by one in VMLists need 600 reads, more than ARM's
 * read bucket holds (250, then 25/s). The orchestrator reads at most 200 per attempt, keeps what it read, and carries
 * on when the bucket has refilled: every VM is read exactly once and the run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, vmIdOf } from "../support/fleets";

let world: World;
beforeAll(async () => {
  const fleet = generatedFleet([{ subscriptionId: SUB_A, resourceGroup: "rg-list", location: "westeurope", count: 600, powerState: "deallocated", namePrefix: "l-" }]);
  world = await World.start({ fleet, timeScale: 5 });
});
afterAll(async () => world?.stop());

describe("expansion of 600 VMs named one by one", () => {
  it("reads each VM once across paced attempts and completes the run", async () => {
    const names = Array.from({ length: 600 }, (_, i) => `l-${String(i + 1).padStart(4, "0")}`);
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { VMLists: names.map((n) => vmIdOf(SUB_A, "rg-list", n)) } });
    expect(accepted.status).toBe(202);
    const status = await world.waitForRequest(accepted.body.requestId, 150_000);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 600, Succeeded: 600 });
    const log = await world.armRequests();
    const gets = log.filter((r) => r.operation === "get" && r.status === 200);
    const perVm = new Map<string, number>();
    for (const g of gets) perVm.set(g.vmId!.toLowerCase(), (perVm.get(g.vmId!.toLowerCase()) ?? 0) + 1);
    expect(perVm.size).toBe(600);
    expect([...perVm.values()].every((n) => n === 1)).toBe(true); // never restarted from zero
    expect(world.invocationStats().get("VirtualMachineRequestOrchestrator")!.succeeded).toBeGreaterThanOrEqual(3); // paced over attempts
    expect((await world.vms()).filter((v) => v.powerState !== "running")).toEqual([]);
  });
});
