/**
 * An identity whose role is assigned on resource groups only (as the deployment grants it) cannot list its
 * subscriptions: a 500-VM run with more than 10 VMs per subscription still verifies every VM, reading them one by one,
 * and ends — it never loops on the 403.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, SUB_B, rgId } from "../support/fleets";

const ACTIONS = [
  "Microsoft.Compute/virtualMachines/read",
  "Microsoft.Compute/virtualMachines/instanceView/read",
  "Microsoft.Compute/virtualMachines/start/action",
  "Microsoft.Compute/virtualMachines/deallocate/action",
];
const groups = [
  { subscriptionId: SUB_A, resourceGroup: "rg-team-a", location: "westeurope", count: 200 },
  { subscriptionId: SUB_A, resourceGroup: "rg-team-b", location: "westeurope", count: 100 },
  { subscriptionId: SUB_B, resourceGroup: "rg-team-c", location: "eastus", count: 200 },
];
let world: World;
beforeAll(async () => {
  const fleet = generatedFleet([
    ...groups.map((g) => ({ ...g, powerState: "deallocated", namePrefix: `${g.resourceGroup}-` })),
    // A group the identity has no role on, in the same subscription: it must stay untouched.
    { subscriptionId: SUB_A, resourceGroup: "rg-other", location: "westeurope", count: 5, powerState: "deallocated", namePrefix: "other-" },
  ], { start: { minSeconds: 5, maxSeconds: 20 }, deallocate: { minSeconds: 5, maxSeconds: 20 } });
  world = await World.start({
    fleet,
    timeScale: 10,
    roleAssignments: groups.map((g) => ({ scope: rgId(g.subscriptionId, g.resourceGroup).replace(/\/$/, ""), actions: ACTIONS })),
  });
});
afterAll(async () => world?.stop());

describe("an identity with rights only on resource groups", () => {
  it("completes a 500-VM run: every VM verified running, the subscription lists refused, nothing else touched", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: groups.map((g) => rgId(g.subscriptionId, g.resourceGroup)) } });
    expect(accepted.status).toBe(202);
    const status = await world.waitForRequest(accepted.body.requestId, 240_000);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 500, Succeeded: 500, Failed: 0 });
    const vms = await world.vms();
    expect(vms.filter((v) => !v.name.startsWith("other-") && v.powerState !== "running")).toEqual([]);
    expect(vms.filter((v) => v.name.startsWith("other-") && v.powerState !== "deallocated")).toEqual([]);
    const log = await world.armRequests();
    // The subscription-wide list was refused, and once the VMs were being called the sweeps did not keep asking
    // for it: at most one refusal per subscription's verification chain.
    const refusedLists = log.filter((r) => r.operation === "list" && r.status === 403);
    expect(refusedLists.length).toBeGreaterThan(0);
    const firstCall = log.find((r) => r.operation === "start")!.seq;
    expect(refusedLists.filter((r) => r.seq > firstCall).length).toBeLessThanOrEqual(2);
    // Each VM verified by its own instance view.
    expect(log.filter((r) => r.operation === "instanceView" && r.status === 200).length).toBeGreaterThanOrEqual(500);
    expect(log.filter((r) => r.operation === "start" && r.status === 202)).toHaveLength(500);
  });
});
