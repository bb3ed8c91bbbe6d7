/**
 * 1,000 VMs in two subscriptions, started then stopped, with Azure's documented throttling enforced by the
 * simulator: every VM must be in the target power state according to the simulator itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, SUB_B } from "../support/fleets";

let world: World;
beforeAll(async () => {
  const fleet = generatedFleet(
    [
      { subscriptionId: SUB_A, resourceGroup: "rg-web", location: "westeurope", count: 250, powerState: "deallocated" },
      { subscriptionId: SUB_A, resourceGroup: "rg-batch", location: "northeurope", count: 250, powerState: "deallocated", osType: "Windows" },
      { subscriptionId: SUB_B, resourceGroup: "rg-app", location: "eastus", count: 300, powerState: "deallocated" },
      { subscriptionId: SUB_B, resourceGroup: "rg-db", location: "eastus2", count: 200, powerState: "deallocated" },
    ],
    { start: { minSeconds: 30, maxSeconds: 180 }, deallocate: { minSeconds: 30, maxSeconds: 120 } },
  );
  world = await World.start({ fleet, timeScale: 20 });
});
afterAll(async () => world?.stop());

/**
 * One accepted call per VM (no hidden SDK retries, no duplicates), and none refused by a bucket: the shared budget's
 * grants are good only for the call window and their tokens stay in flight until then, so no granted call can meet an
 * empty bucket at Azure, however late within its window the host sends it.
 */
function expectOneAcceptedCallEach(calls: { vmId: string | null; status: number }[]): void {
  const accepted = calls.filter((r) => r.status === 202);
  expect(new Set(accepted.map((r) => r.vmId)).size).toBe(1000);
  expect(accepted).toHaveLength(1000);
  expect(calls.filter((r) => r.status !== 202)).toEqual([]);
}

const scopes = { Subscriptions: [`/subscriptions/${SUB_A}/`, `/subscriptions/${SUB_B}/`] };

describe("1,000 VMs across 2 subscriptions", () => {
  it("start: every VM reaches PowerState/running and the request Succeeded", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: scopes });
    expect(accepted.status).toBe(202);
    const status = await world.waitForRequest(accepted.body.requestId, 240_000);
    const vms = await world.vms();
    expect(vms).toHaveLength(1000);
    expect(vms.filter((v) => v.powerState !== "running")).toEqual([]);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 1000, Succeeded: 1000, Failed: 0, InProgress: 0 });
    const log = await world.armRequests();
    expectOneAcceptedCallEach(log.filter((r) => r.operation === "start"));
    // Verification is batched: far fewer reads than one poll per VM every 2 s.
    const reads = log.filter((r) => r.method === "GET").length;
    expect(reads / 1000).toBeLessThan(1);
    const outcomes = await world.allOutcomes(accepted.body.requestId);
    expect(outcomes).toHaveLength(1000);
    expect(new Set(outcomes.map((o) => o.id.toLowerCase())).size).toBe(1000);
  });

  it("stop: every VM reaches PowerState/deallocated and the request Succeeded", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: scopes });
    const status = await world.waitForRequest(accepted.body.requestId, 240_000);
    const vms = await world.vms();
    expect(vms.filter((v) => v.powerState !== "deallocated")).toEqual([]);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 1000, Succeeded: 1000 });
    const deallocs = (await world.armRequests()).filter((r) => r.operation === "deallocate");
    expectOneAcceptedCallEach(deallocs);
  });
});
