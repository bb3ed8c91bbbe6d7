/**
 * Races in the act step, replayed deterministically with the in-memory twins of the store, the queues and Compute
 * (the engine's own code runs unchanged): duplicate and concurrent deliveries, a re-kick next to the original message,
 * and storage failing before or after the call never give a VM more than one accepted call per attempt.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { actOnVms } from "../../src/engine/act";
import { orchestrate } from "../../src/engine/orchestrate";
import { sweepSubscription } from "../../src/engine/sweep";
import type { MemoryCompute } from "../twins/memoryCompute";
import type { MemoryMaintenanceCalendar } from "../twins/memoryMaintenanceCalendar";
import type { MemoryQueue } from "../twins/memoryQueue";
import type { MemoryRequestStore } from "../twins/memoryRequestStore";
import type { EngineDeps } from "../../src/engine/ports";
import type { ActMessage, ExecutionMessage } from "../../src/engine/records";
import { memoryEngine } from "../support/memoryEngine";

const SUB = "aaaaaaaa-0000-4000-8000-000000000001";
let store: MemoryRequestStore;
let compute: MemoryCompute;
let execution: MemoryQueue<ExecutionMessage>;
let deps: EngineDeps;
let calendar: MemoryMaintenanceCalendar;
let time: { ms: number };

beforeEach(() => {
  ({ store, compute, execution, deps, calendar, time } = memoryEngine("2026-11-23T08:00:00Z"));
  for (let i = 1; i <= 40; i++) compute.add({ subscriptionId: SUB, resourceGroup: "rg", name: `vm-${i}` }, "deallocated");
});

/** A submitted start of every VM, orchestrated: its act messages are in the queue. */
async function startEverything(): Promise<ActMessage[]> {
  const createdAt = new Date(time.ms);
  await store.createRequest({
    requestId: "r1", action: "start", stage: "accepted", state: "Accepted", createdAt, deadline: new Date(time.ms + 3_600_000), vmCount: 0, scopeErrors: [],
    request: { action: "start", sequenced: false, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0, scopes: { subscriptions: [SUB], resourceGroups: [], vms: [], exclusions: [] } },
  });
  await orchestrate(deps, { requestId: "r1" });
  return execution.take().filter((m): m is ActMessage => m.type === "act");
}

const callsPerVm = () => {
  const counts = new Map<string, number>();
  for (const c of compute.accepted) counts.set(c.key, (counts.get(c.key) ?? 0) + 1);
  return counts;
};

describe("act races (in-memory twins)", () => {
  it("the same act message delivered three times at once calls each VM once", async () => {
    const acts = await startEverything();
    await Promise.all(acts.flatMap((m) => [actOnVms(deps, m), actOnVms(deps, m), actOnVms(deps, m)]));
    expect(callsPerVm().size).toBe(40);
    expect([...callsPerVm().values()].every((n) => n === 1)).toBe(true);
    const rows = await store.listVmRows("r1");
    expect(rows.every((r) => r.status === "Acting" && r.attempt === 1)).toBe(true);
  });

  it("a sweep's re-kick next to the original message, interleaved, calls each VM once", async () => {
    const acts = await startEverything();
    // The re-kick carries the same VMs and attempt numbers, in another batch shape.
    const rekick: ActMessage = { ...acts[0]!, vms: acts.flatMap((m) => m.vms).reverse() };
    await Promise.all([...acts.map((m) => actOnVms(deps, m)), actOnVms(deps, rekick)]);
    expect([...callsPerVm().values()].every((n) => n === 1)).toBe(true);
    expect(callsPerVm().size).toBe(40);
  });

  it("storage failing on the claim makes no call; the redelivered message calls each VM once", async () => {
    const acts = await startEverything();
    store.failNextWrites = 1;
    await expect(actOnVms(deps, acts[0]!)).rejects.toThrow(/injected storage failure/);
    expect(compute.accepted).toEqual([]);
    for (const m of acts) await actOnVms(deps, m); // the queue redelivers
    expect(callsPerVm().size).toBe(40);
    expect([...callsPerVm().values()].every((n) => n === 1)).toBe(true);
  });

  it("storage failing after the calls never repeats an accepted call; the sweep re-calls only the VM whose call was refused", async () => {
    const all = await startEverything();
    const verify = { type: "verify" as const, requestId: "r1", subscriptionId: SUB, sweep: 1 };
    compute.refuseNext = [{ status: 409, code: "Conflict", message: "another operation is in progress" }];
    // The claims land, the calls go out (one refused), then the batch recording the refusal is lost: the message is redelivered.
    store.failBatchAfter = 1;
    await expect(actOnVms(deps, all[0]!)).rejects.toThrow(/batch lost/);
    expect(compute.accepted).toHaveLength(all[0]!.vms.length - 1);
    for (const m of all) await actOnVms(deps, m);
    expect([...callsPerVm().values()].every((n) => n === 1)).toBe(true);
    expect(callsPerVm().size).toBe(39);
    // The refused VM's row stayed claimed without a call. Past the stall grace the sweep sees it not moving and
    // re-kicks it; its act message calls it, once.
    time.ms += 301_000;
    await sweepSubscription(deps, verify, 1);
    const rekicks = execution.take().filter((m): m is ActMessage => m.type === "act");
    expect(rekicks.flatMap((m) => m.vms)).toHaveLength(1);
    for (const m of rekicks) await actOnVms(deps, m);
    expect(callsPerVm().size).toBe(40);
    expect([...callsPerVm().values()].every((n) => n === 1)).toBe(true);
  });

  it("a VM inside announced maintenance is not called until the window ends, and its outcome says why", async () => {
    const frozen = [...compute.vms.keys()].slice(0, 5);
    for (const vmKey of frozen) calendar.windows.push({ vmKey, eventId: `ev-${vmKey.slice(-4)}`, eventType: "Freeze", start: new Date(time.ms - 1000), end: new Date(time.ms + 120_000) });
    const acts = await startEverything();
    await Promise.all(acts.map((m) => actOnVms(deps, m)));
    expect(callsPerVm().size).toBe(35);
    for (const key of frozen) expect(callsPerVm().has(key)).toBe(false);
    const held = (await store.listVmRows("r1")).filter((r) => frozen.includes(r.key));
    expect(held.map((r) => [r.status, r.heldBy, r.dueAt?.getTime()])).toEqual(Array(5).fill(["Pending", "maintenance", time.ms + 120_000]));
    expect(held[0]!.note).toMatch(/Azure announced maintenance \(Freeze, event ev-/);

    // The deferred acts arrive when the window has ended: now the VMs are called, and say what they waited for.
    time.ms += 121_000;
    await Promise.all(execution.take().filter((m): m is ActMessage => m.type === "act").map((m) => actOnVms(deps, m)));
    for (const key of frozen) expect(callsPerVm().get(key)).toBe(1);
    const after = (await store.listVmRows("r1")).filter((r) => frozen.includes(r.key));
    expect(after.every((r) => r.status === "Acting" && /^waited: Azure announced maintenance \(Freeze/.test(r.note ?? ""))).toBe(true);
  });

  it("a host starved between claim and call never calls a VM the sweep has re-kicked meanwhile: each VM is called once", async () => {
    const acts = await startEverything();
    const verify = { type: "verify" as const, requestId: "r1", subscriptionId: SUB, sweep: 1 };
    // The first message's host stalls after its claims: by the time the ledger answers, more than the stall grace has
    // passed, and another instance's sweep has taken the claims for lost ones (the VMs never began to move) and re-kicked them.
    const reserve = deps.budget.reserve.bind(deps.budget);
    let stalled = false;
    deps.budget.reserve = async (demand, nowMs) => {
      if (!stalled) {
        stalled = true;
        time.ms += 301_000;
        await sweepSubscription(deps, verify, 1);
        return reserve(demand, time.ms);
      }
      return reserve(demand, nowMs);
    };
    await actOnVms(deps, acts[0]!);
    // Its claims ran out before the call could leave: no call was made.
    expect(compute.accepted).toEqual([]);
    for (const m of [...acts.slice(1), ...execution.take().filter((m): m is ActMessage => m.type === "act")]) await actOnVms(deps, m);
    for (const m of execution.take().filter((m): m is ActMessage => m.type === "act")) await actOnVms(deps, m);
    expect(callsPerVm().size).toBe(40);
    expect([...callsPerVm().values()].every((n) => n === 1)).toBe(true);
  });
});
