/**
 * The compute adapter against the simulator over HTTPS with the real SDK: one call per action (no hidden
 * retries or polling), the remaining budgets read from the headers, failures converted with their codes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArmSimulator, type RunningArmSimulator } from "../../src/local/arm-simulator";
import { ArmComputeGateway, readRemainingBudget } from "../../src/adapters/armCompute";
import { simulatorCredential } from "../../src/adapters/credentials";
import { ArmRequestError } from "../../src/domain/armError";
import { SUB_A, smallFleet } from "../support/fleets";

let sim: RunningArmSimulator;
let gateway: ArmComputeGateway;
beforeAll(async () => {
  sim = await startArmSimulator({ fleet: smallFleet() as never });
  const ca = path.join(mkdtempSync(path.join(tmpdir(), "ssv-adapter-")), "ca.pem");
  writeFileSync(ca, sim.caCertPem);
  gateway = new ArmComputeGateway({ endpoint: sim.url, credential: simulatorCredential(sim.url), caCertPath: ca });
});
afterAll(async () => sim?.close());

const web01 = { subscriptionId: SUB_A, resourceGroup: "rg-web", name: "web-01" };

describe("ArmComputeGateway", () => {
  it("sends one start, never polls, and reports the budgets left", async () => {
    const before = sim.simulator.log.since(0).lastSeq;
    const remaining = await gateway.requestPowerAction(web01, "start");
    expect(remaining.compute).toBe(1499);
    expect(remaining.armWrites).toBe(199);
    await new Promise((r) => setTimeout(r, 300)); // a background poller would show up now
    const calls = sim.simulator.log.since(before).requests;
    expect(calls.map((c) => c.operation)).toEqual(["start"]);
  });

  it("converts a refused call into the platform's code, status and Retry-After", async () => {
    sim.simulator.faults.add({ match: { operation: "deallocate" }, effect: { type: "http", status: 429, code: "OperationNotAllowed", message: "too many", retryAfterSeconds: 7 }, count: 1 }, sim.simulator.clock.now());
    const error = await gateway.requestPowerAction(web01, "deallocate").catch((e) => e);
    expect(error).toBeInstanceOf(ArmRequestError);
    expect(error.failure).toMatchObject({ status: 429, code: "OperationNotAllowed", retryAfterSeconds: 7 });
  });

  it("reads power states in bulk and one by one", async () => {
    const statuses = await gateway.listVmStatuses(SUB_A);
    expect(statuses.size).toBe(6);
    const one = await gateway.getVmStatus(web01);
    expect(one?.powerState).toMatch(/starting|running/);
    expect(await gateway.getVmStatus({ ...web01, name: "nope" })).toBeUndefined();
  });
});

describe("readRemainingBudget", () => {
  const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] });
  it("parses the documented header forms, with or without window suffixes", () => {
    expect(readRemainingBudget(headers({ "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/UpdateVM;1499,Microsoft.Compute/UpdateVMPerVM;11", "x-ms-ratelimit-remaining-subscription-writes": "199" }), "start"))
      .toEqual({ compute: 1499, armWrites: 199 });
    expect(readRemainingBudget(headers({ "x-ms-ratelimit-remaining-resource": "Microsoft.Compute/DeleteVM3Min;40,Microsoft.Compute/DeleteVM30Min;900" }), "deallocate"))
      .toEqual({ compute: 40, armWrites: undefined });
    expect(readRemainingBudget(headers({}), "start")).toEqual({ compute: undefined, armWrites: undefined });
  });
});
