/**
 * Through injected platform faults (500s, 409s, a burst of 429s, capacity failures) every VM still reaches
 * its target state; VMs the identity may not touch (403) end Failed with Azure's code, the rest succeed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, SUB_B } from "../support/fleets";

let world: World;
beforeAll(async () => {
  const fleet = generatedFleet([
    { subscriptionId: SUB_A, resourceGroup: "rg-a", location: "westeurope", count: 200, powerState: "deallocated" },
    { subscriptionId: SUB_B, resourceGroup: "rg-b", location: "eastus", count: 200, powerState: "deallocated", osType: "Windows" },
  ]);
  world = await World.start({ fleet });
});
afterAll(async () => world?.stop());

const scopes = { Subscriptions: [`/subscriptions/${SUB_A}/`, `/subscriptions/${SUB_B}/`] };

describe("faults", () => {
  it("transient faults and throttling: every VM still reaches running", async () => {
    await world.sim("POST", "faults", { match: { operation: "start" }, effect: { type: "http", status: 500, code: "InternalServerError", message: "Something went wrong" }, probability: 0.1, firstAttemptOnly: true });
    await world.sim("POST", "faults", { match: { operation: "start" }, effect: { type: "http", status: 409, code: "Conflict", message: "Another operation is in progress" }, probability: 0.05, firstAttemptOnly: true });
    await world.sim("POST", "faults", { match: { operation: "start" }, effect: { type: "http", status: 429, code: "OperationNotAllowed", message: "too many requests", retryAfterSeconds: 2 }, count: 40 });
    await world.sim("POST", "faults", { match: { operation: "start", namePattern: "rg-a-vm-01*" }, effect: { type: "operationFails", code: "AllocationFailed", message: "Allocation failed. We do not have sufficient capacity." }, firstAttemptOnly: true });

    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: scopes });
    const status = await world.waitForRequest(accepted.body.requestId, 240_000);
    expect((await world.vms()).filter((v) => v.powerState !== "running")).toEqual([]);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 400, Succeeded: 400 });

    const log = await world.armRequests();
    const starts = log.filter((r) => r.operation === "start");
    const refused = starts.filter((r) => r.status >= 400);
    expect(refused.filter((r) => r.status === 500).length).toBeGreaterThan(10);
    // The injected burst, plus real throttling: 200 writes per subscription exceed ARM's write bucket (200, +10/s).
    expect(refused.filter((r) => r.status === 429 && r.faultId).length).toBe(40);
    expect(refused.filter((r) => r.status === 409).length).toBeGreaterThan(3);
    // Each refused or failed call was followed by a successful one for the same VM.
    const accepted202 = new Set(starts.filter((r) => r.status === 202 || r.status === 200).map((r) => r.vmId));
    expect(accepted202.size).toBe(400);
    // Retried VMs report their attempts; capacity failures were retried after the operation itself failed.
    const outcomes = await world.allOutcomes(accepted.body.requestId);
    const allocationRetried = outcomes.filter((o) => o.name.startsWith("rg-a-vm-01"));
    expect(allocationRetried.length).toBeGreaterThan(0);
    for (const o of allocationRetried) expect(o.attempts).toBeGreaterThanOrEqual(2);
  });

  it("permanent 403s: those VMs end Failed with the code, the rest succeed, the request is PartiallySucceeded", async () => {
    await world.sim("DELETE", "faults");
    const forbidden = ["rg-b-vm-0001", "rg-b-vm-0002", "rg-b-vm-0003", "rg-a-vm-0100"];
    const ids = (await world.vms()).filter((v) => forbidden.includes(v.name)).map((v) => v.id);
    expect(ids).toHaveLength(4);
    await world.sim("POST", "faults", {
      match: { operation: "deallocate", vmIds: ids },
      effect: { type: "http", status: 403, code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachines/deallocate/action'." },
    });
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: scopes });
    const status = await world.waitForRequest(accepted.body.requestId, 240_000);
    expect(status.state).toBe("PartiallySucceeded");
    expect(status.counts).toMatchObject({ total: 400, Succeeded: 396, Failed: 4 });
    const vms = await world.vms();
    expect(vms.filter((v) => v.powerState !== "deallocated").map((v) => v.name).sort()).toEqual([...forbidden].sort());
    const failed = (await world.callFunction("GET", `requests/${accepted.body.requestId}?outcome=Failed`)).body.vms;
    expect(failed.map((v: any) => v.name).sort()).toEqual([...forbidden].sort());
    const log = await world.armRequests();
    for (const vm of failed) {
      expect(vm.errorCode).toBe("AuthorizationFailed");
      expect(vm.errorMessage).toMatch(/lacks permission.*deallocate/);
      // Permanent: never retried after the 403 (earlier calls may have been throttled by ARM's write bucket).
      const calls = log.filter((r) => r.operation === "deallocate" && r.vmId?.toLowerCase() === vm.id.toLowerCase());
      expect(calls.filter((r) => r.status === 403)).toHaveLength(1);
      expect(calls[calls.length - 1]!.status).toBe(403);
    }
  });
});
