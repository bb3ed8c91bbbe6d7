/**
 * v2's documented payload (Subscriptions + ResourceGroups + VMLists + ExcludedVMLists with "Az*") resolves
 * to exactly the VMs a v2 user expects, both in WhatIf and in a real run, judged by the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World } from "../../src/local/world";
import { SUB_A, SUB_B, SUB_C, rgId, smallFleet, vmIdOf } from "../support/fleets";

let world: World;
beforeAll(async () => {
  world = await World.start({ fleet: smallFleet() });
});
afterAll(async () => world?.stop());

const payload = {
  Action: "start",
  EnableClassic: false,
  RequestScopes: {
    Subscriptions: [`/subscriptions/${SUB_A}/`],
    ResourceGroups: [rgId(SUB_B, "rg-apps")],
    VMLists: [vmIdOf(SUB_C, "rg-c", "c-01")],
    ExcludedVMLists: [vmIdOf(SUB_A, "rg-web", "web-02"), "Az*"],
  },
};

// SUB_A: web-01 (in), web-02 (excluded by id), AzBuildAgent (Az*), web-keep (tag), db-01 (in), azure-db-02 (Az*, case-insensitive)
// SUB_B/rg-apps: app-01 (in), Az-app-02 (Az*); rg-other not in scope; SUB_C: only c-01 listed.
const expectedStarted = ["web-01", "db-01", "app-01", "c-01"].sort();
const expectedExcluded = ["web-02", "AzBuildAgent", "web-keep", "azure-db-02", "Az-app-02"].sort();

describe("v2 scope semantics", () => {
  it("WhatIf lists exactly the VMs the payload covers, with exclusion reasons, and acts on nothing", async () => {
    const res = await world.callFunction("POST", "Scheduled", { ...payload, WhatIf: true });
    expect(res.status).toBe(200);
    const willAct = res.body.vms.filter((v: any) => v.plan === "WillStart").map((v: any) => v.name).sort();
    const excluded = res.body.vms.filter((v: any) => v.plan === "Excluded");
    expect(willAct).toEqual(expectedStarted);
    expect(excluded.map((v: any) => v.name).sort()).toEqual(expectedExcluded);
    expect(excluded.find((v: any) => v.name === "web-keep").reason).toMatch(/ssv2excludevm/);
    expect(excluded.find((v: any) => v.name === "AzBuildAgent").reason).toMatch(/Az\*/);
    const actions = (await world.armRequests()).filter((r) => r.method === "POST");
    expect(actions).toEqual([]);
  });

  it("a real run starts exactly those VMs and no other, verified by the simulator", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", payload);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ successful: true, requestId: expect.any(String), statusUrl: expect.stringContaining(`/api/requests/${accepted.body.requestId}`) });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("Succeeded");
    const vms = await world.vms();
    const running = vms.filter((v) => v.powerState === "running").map((v) => v.name).sort();
    expect(running).toEqual([...expectedStarted, "azure-db-02"].sort()); // azure-db-02 was already running
    const startCalls = (await world.armRequests()).filter((r) => r.operation === "start");
    expect(startCalls.map((r) => r.vmId!.split("/").pop()).sort()).toEqual(expectedStarted.map((n) => n.toLowerCase()).sort());
    const outcomes = await world.allOutcomes(accepted.body.requestId);
    const byName = Object.fromEntries(outcomes.map((o) => [o.name, o.outcome]));
    for (const name of expectedStarted) expect(byName[name]).toBe("Succeeded");
    for (const name of expectedExcluded) expect(byName[name]).toBe("Skipped");
    expect(status.counts).toMatchObject({ total: 9, Succeeded: 4, Skipped: 5, Failed: 0, InProgress: 0 });
  });

  it("a stop on VMs already deallocated reports AlreadyInState and makes no call", async () => {
    const before = (await world.armRequests()).length;
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { ResourceGroups: [rgId(SUB_B, "rg-other")] } });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 1, AlreadyInState: 1 });
    const calls = (await world.armRequests()).slice(before).filter((r) => r.method === "POST");
    expect(calls).toEqual([]);
  });

  it("a retried POST with the same Idempotency-Key returns the same request instead of a second run", async () => {
    const body = { Action: "stop", RequestScopes: { VMLists: [vmIdOf(SUB_C, "rg-c", "c-02")] } };
    const first = await world.callFunction("POST", "Scheduled", body, { "Idempotency-Key": "nightly-2026-01-05" });
    const second = await world.callFunction("POST", "Scheduled", body, { "Idempotency-Key": "nightly-2026-01-05" });
    expect(second.body.requestId).toBe(first.body.requestId);
    expect(second.body.duplicate).toBe(true);
    const logicAppsRetry = await world.callFunction("POST", "Scheduled", body, { "x-ms-workflow-run-id": "08585" });
    const logicAppsRetry2 = await world.callFunction("POST", "Scheduled", body, { "x-ms-workflow-run-id": "08585" });
    expect(logicAppsRetry2.body.requestId).toBe(logicAppsRetry.body.requestId);
    expect(logicAppsRetry.body.requestId).not.toBe(first.body.requestId);
  });

  it("a missing resource group is reported as a scope error naming it; the rest still runs", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", {
      Action: "start",
      RequestScopes: { ResourceGroups: [rgId(SUB_B, "rg-does-not-exist"), rgId(SUB_B, "rg-other")] },
    });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("PartiallySucceeded");
    expect(status.scopeErrors).toEqual([expect.objectContaining({ scope: expect.stringContaining("rg-does-not-exist"), code: "ResourceGroupNotFound" })]);
    expect((await world.vms()).find((v) => v.name === "other-01")!.powerState).toBe("running");
  });
});
