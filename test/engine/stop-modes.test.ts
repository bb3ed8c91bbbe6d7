/**
 * Stop modes through the engine's own code over the in-memory twins: each VM's row carries the action its tag, the
 * body and its capability chose; a hibernate Azure refuses becomes one deallocate with HibernateUnavailable, never
 * a retried hibernate; a powerOff spends the Update VM policy and ends stopped.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { actOnVms } from "../../src/engine/act";
import { orchestrate } from "../../src/engine/orchestrate";
import { sweepSubscription } from "../../src/engine/sweep";
import { vmKey } from "../../src/domain/resourceId";
import type { ScheduledRequest } from "../../src/domain/scheduledRequest";
import type { ActMessage } from "../../src/engine/records";
import { memoryEngine, type MemoryEngine } from "../support/memoryEngine";

const SUB = "aaaaaaaa-0000-4000-8000-000000000001";
let engine: MemoryEngine;
const ref = (name: string) => ({ subscriptionId: SUB, resourceGroup: "rg", name });

beforeEach(() => {
  engine = memoryEngine("2026-11-23T20:00:00Z");
  const add = (name: string, extra: { tags?: Record<string, string>; hibernationEnabled?: boolean } = {}) => {
    engine.compute.add(ref(name), "running");
    Object.assign(engine.compute.vms.get(vmKey(ref(name)))!.info, { tags: extra.tags ?? {}, hibernationEnabled: extra.hibernationEnabled });
  };
  add("hib-ok", { hibernationEnabled: true });
  add("hib-refused", { hibernationEnabled: true });
  add("hib-not-enabled");
  add("tagged-off", { tags: { "startstop-stopmode": "powerOff" } });
});

async function stop(stopMode: ScheduledRequest["stopMode"]): Promise<void> {
  const { store, deps, time } = engine;
  const request: ScheduledRequest = { action: "stop", stopMode, sequenced: false, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0, scopes: { subscriptions: [SUB], resourceGroups: [], vms: [], exclusions: [] } };
  await store.createRequest({ requestId: "r1", action: "stop", stage: "accepted", state: "Accepted", createdAt: new Date(time.ms), deadline: new Date(time.ms + 3_600_000), vmCount: 0, scopeErrors: [], request });
  await orchestrate(deps, { requestId: "r1" });
}

/** Delivers act messages until none is left (a refusal's fallback sends a new one). */
async function deliverActs(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const acts = engine.execution.take().filter((m): m is ActMessage => m.type === "act");
    if (acts.length === 0) return;
    for (const act of acts) await actOnVms(engine.deps, act);
  }
}

const row = async (name: string) => (await engine.store.getVmRow("r1", vmKey(ref(name))))!;

describe("stop modes in the engine", () => {
  it("plans each VM's own stop, falls back from a refused hibernate with one deallocate, and verifies each target", async () => {
    await stop("hibernate");
    expect((await row("hib-ok")).powerAction).toBe("hibernate");
    expect(await row("hib-not-enabled")).toMatchObject({ powerAction: "deallocate", fallbackCode: "HibernateUnavailable" });
    expect((await row("tagged-off")).powerAction).toBe("powerOff");

    // Azure refuses hib-refused's hibernate, as it does for a VM size that cannot hibernate.
    engine.compute.refuseFor.set(vmKey(ref("hib-refused")), [{ status: 409, code: "OperationNotAllowed", message: "Hibernation is not supported for this VM size." }]);
    await deliverActs();
    const calls = engine.compute.accepted.map((c) => [c.key.split("/").pop(), c.action]);
    const refused = "hib-refused";
    const other = "hib-ok";
    expect(calls.filter(([name]) => name === refused)).toEqual([[refused, "deallocate"]]);
    expect(calls.filter(([name]) => name === other)).toEqual([[other, "hibernate"]]);
    expect(calls.filter(([name]) => name === "hib-not-enabled")).toEqual([["hib-not-enabled", "deallocate"]]);
    expect(calls.filter(([name]) => name === "tagged-off")).toEqual([["tagged-off", "powerOff"]]);
    expect(await row(refused)).toMatchObject({ powerAction: "deallocate", fallbackCode: "HibernateUnavailable", fallbackMessage: expect.stringContaining("not supported for this VM size") });

    engine.time.ms += 30_000;
    await sweepSubscription(engine.deps, { type: "verify", requestId: "r1", subscriptionId: SUB, sweep: 1 }, 1);
    const request = await engine.store.getRequest("r1");
    expect(request?.state).toBe("Succeeded");
    expect((await row("tagged-off"))).toMatchObject({ status: "Succeeded", powerState: "stopped" });
    expect((await row(other))).toMatchObject({ status: "Succeeded", powerState: "deallocated" });
    expect((await row(refused))).toMatchObject({ status: "Succeeded", powerState: "deallocated", fallbackCode: "HibernateUnavailable" });
  });

  it("a momentary refusal of a hibernate retries the hibernate, not a deallocate", async () => {
    await stop("hibernate");
    engine.compute.refuseFor.set(vmKey(ref("hib-refused")), [{ status: 429, code: "TooManyRequests", message: "slow down", retryAfterSeconds: 1 }]);
    const acts = engine.execution.take().filter((m): m is ActMessage => m.type === "act");
    for (const act of acts) await actOnVms(engine.deps, act);
    engine.time.ms += 120_000;
    await deliverActs();
    expect(engine.compute.accepted.filter((c) => c.key.endsWith("/hib-refused")).map((c) => c.action)).toEqual(["hibernate"]);
    expect((await row("hib-refused")).fallbackCode).toBeUndefined();
  });
});
