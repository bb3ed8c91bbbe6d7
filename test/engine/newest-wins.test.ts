/**
 * Newest wins, replayed deterministically on the in-memory twins (the engine's own code runs unchanged, each race is
 * interleaved at exactly the point it bites): an older request never sends a call against a VM a newer request holds,
 * whichever order their expansion, claims, supersede writes and act steps land in; the watchdog never multiplies a
 * request's orchestration chains.
 */
import type { PowerAction } from "../../src/targets/powerAction";
import { beforeEach, describe, expect, it } from "vitest";
import { actOnVms } from "../../src/engine/act";
import { orchestrate } from "../../src/engine/orchestrate";
import { sweepSubscription } from "../../src/engine/sweep";
import { watchRequests } from "../../src/engine/watchdog";
import type { EngineDeps } from "../../src/engine/ports";
import type { ActMessage, ExecutionMessage, OrchestrationMessage } from "../../src/engine/records";
import type { PowerState } from "../../src/domain/power";
import type { MemoryCompute } from "../twins/memoryCompute";
import type { MemoryDesiredStateStore } from "../twins/memoryDesiredStateStore";
import type { MemoryQueue } from "../twins/memoryQueue";
import type { MemoryRequestStore } from "../twins/memoryRequestStore";
import { memoryEngine } from "../support/memoryEngine";

const SUB = "aaaaaaaa-0000-4000-8000-000000000021";
let store: MemoryRequestStore;
let compute: MemoryCompute;
let execution: MemoryQueue<ExecutionMessage>;
let orchestration: MemoryQueue<OrchestrationMessage>;
let desired: MemoryDesiredStateStore;
let deps: EngineDeps;
let time: { ms: number };

function fleet(powerState: PowerState): void {
  for (let i = 1; i <= 20; i++) compute.add({ subscriptionId: SUB, resourceGroup: "rg", name: `vm-${i}` }, powerState);
}

beforeEach(() => {
  ({ store, compute, execution, deps, time } = memoryEngine("2026-11-23T19:01:30Z"));
  orchestration = deps.orchestrationQueue as MemoryQueue<OrchestrationMessage>;
  desired = deps.desiredStates as MemoryDesiredStateStore;
});

/** A request of the whole subscription, made at `madeAt` (it reaches the orchestrator whenever the test says). */
async function submit(requestId: string, action: "start" | "stop", madeAt: string): Promise<void> {
  const createdAt = new Date(madeAt);
  await store.createRequest({
    requestId, action, stage: "accepted", state: "Accepted", createdAt, deadline: new Date(createdAt.getTime() + 3_600_000), vmCount: 0, scopeErrors: [],
    request: { action, sequenced: false, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0, scopes: { subscriptions: [SUB], resourceGroups: [], vms: [], exclusions: [] } },
  });
  await store.indexOpenRequest(requestId, new Date(createdAt.getTime() + 3_600_000));
}

/** Delivers every act message sent so far (and the ones those send), once each. */
async function deliverActs(): Promise<void> {
  for (let acts = takeActs(); acts.length > 0; acts = takeActs()) await Promise.all(acts.map((m) => actOnVms(deps, m)));
}
const takeActs = () => execution.take().filter((m): m is ActMessage => m.type === "act");
/** Accepted calls of one power action (a stop request's VMs are called with "deallocate"). */
const calls = (action: PowerAction) => compute.accepted.filter((c) => c.action === action);
const lastCallPerVm = () => new Map(compute.accepted.map((c) => [c.key, c.action]));

describe("newest wins (in-memory twins)", () => {
  it("a delayed older stop that expands after a newer start never deallocates the VMs the start holds: they are planned Superseded", async () => {
    fleet("deallocated");
    await submit("stop-1900", "stop", "2026-11-23T19:00:00Z");
    await submit("start-1901", "start", "2026-11-23T19:01:00Z");
    await orchestrate(deps, { requestId: "start-1901" }); // the newer start got through first
    await deliverActs();
    expect(calls("start")).toHaveLength(20);

    await orchestrate(deps, { requestId: "stop-1900" }); // the 19:00 stop's orchestration arrives late
    expect(takeActs()).toEqual([]); // planned Superseded: not even an act message
    expect(calls("deallocate")).toEqual([]);
    const rows = await store.listVmRows("stop-1900");
    expect(rows.map((r) => r.status)).toEqual(Array(20).fill("Superseded"));
    expect(rows.every((r) => r.note?.includes("start-1901"))).toBe(true);
    expect((await store.getRequest("stop-1900"))!.stage).toBe("completed");
    expect([...compute.vms.values()].every((v) => v.powerState === "running")).toBe(true);
  });

  it("an older stop whose rows are written after the newer start superseded (and found none) is stopped by the act step before any call", async () => {
    fleet("running");
    await submit("stop-1900", "stop", "2026-11-23T19:00:00Z");
    await submit("start-1901", "start", "2026-11-23T19:01:00Z");
    // Right after the stop claimed its VMs, and before it writes its rows, the start runs: it takes the VMs over and
    // finds no stop rows to supersede yet.
    desired.afterNextClaim = () => orchestrate(deps, { requestId: "start-1901" });
    await orchestrate(deps, { requestId: "stop-1900" });
    const planned = await store.listVmRows("stop-1900");
    expect(planned.map((r) => r.status)).toEqual(Array(20).fill("Pending")); // the gap the act-time check closes

    await deliverActs();
    expect(calls("deallocate")).toEqual([]);
    const rows = await store.listVmRows("stop-1900");
    expect(rows.map((r) => r.status)).toEqual(Array(20).fill("Superseded"));
    expect(rows.every((r) => r.note?.includes("start-1901"))).toBe(true);
    expect([...compute.vms.values()].every((v) => v.powerState === "running")).toBe(true);
  });

  it("a supersede write that loses an etag race to the older request's sweep is retried, not dropped", async () => {
    fleet("deallocated");
    await submit("start-1900", "start", "2026-11-23T19:00:00Z");
    await submit("stop-1901", "stop", "2026-11-23T19:01:00Z");
    await orchestrate(deps, { requestId: "start-1900" });
    await deliverActs(); // the older start called every VM before the stop existed
    // Its sweep records what it saw on every row just before the stop's supersede batch lands: each write loses its etag.
    store.beforeNextBatch = async () => {
      for (const row of await store.listVmRows("start-1900")) await store.updateVmRow(row, { powerState: "starting" });
    };
    await orchestrate(deps, { requestId: "stop-1901" });
    // Before any act message of either request runs: the supersede was read again and retried, so the rows are ended.
    const older = await store.listVmRows("start-1900");
    expect(older.map((r) => r.status)).toEqual(Array(20).fill("Superseded"));
    expect(older.every((r) => r.note?.includes("stop-1901"))).toBe(true);

    await deliverActs();
    // The older start's sweep finds nothing open: it never calls start again against the stop.
    time.ms += 400_000;
    await sweepSubscription(deps, { type: "verify", requestId: "start-1900", subscriptionId: SUB, sweep: 1 }, 1);
    await deliverActs();
    expect(calls("start")).toHaveLength(20); // made before the stop existed
    expect(calls("deallocate")).toHaveLength(20);
    expect([...lastCallPerVm().values()]).toEqual(Array(20).fill("deallocate"));
    expect([...compute.vms.values()].every((v) => v.powerState === "deallocated")).toBe(true);
  });

  it("a request whose expansion ARM throttles keeps one orchestration chain, however many watchdog ticks look at it", async () => {
    fleet("deallocated");
    await submit("start-1900", "start", "2026-11-23T19:00:00Z");
    compute.refuseListsNext = [{ status: 429, code: "TooManyRequests", message: "throttled", retryAfterSeconds: 1200 }];
    await orchestrate(deps, { requestId: "start-1900" });
    expect(orchestration.sent).toHaveLength(1); // the paced retry
    const retryDelay = orchestration.sent[0]!.delaySeconds;
    expect(retryDelay).toBeGreaterThanOrEqual(1200);
    // While the retry is on its way, tick after tick (two instances at once), the watchdog sends nothing more.
    for (let tick = 0; tick < 10; tick++) {
      time.ms += 60_000;
      const reports = await Promise.all([watchRequests(deps), watchRequests(deps)]);
      expect(reports.flatMap((r) => r.reorchestrated)).toEqual([]);
    }
    expect(orchestration.sent).toHaveLength(1);
  });

  it("a slow orchestration whose request row the watchdog leased meanwhile still records its expansion and releases the work", async () => {
    fleet("deallocated");
    await submit("start-1850", "start", "2026-11-23T18:50:00Z");
    // While this (slow) orchestration claims its VMs, the watchdog sees the request stalled and takes its lease.
    desired.afterNextClaim = async () => void (await watchRequests(deps));
    await orchestrate(deps, { requestId: "start-1850" });
    expect((await store.getRequest("start-1850"))!.stage).toBe("released");
    await deliverActs();
    expect(calls("start")).toHaveLength(20);
  });

  it("a request whose orchestration message was lost is re-sent once per stall period, even by two watchdogs ticking together", async () => {
    fleet("deallocated");
    await submit("start-1850", "start", "2026-11-23T18:50:00Z"); // its message was lost; 11.5 minutes ago
    const first = await Promise.all([watchRequests(deps), watchRequests(deps)]);
    expect(first.flatMap((r) => r.reorchestrated)).toEqual(["start-1850"]);
    for (let tick = 0; tick < 4; tick++) {
      time.ms += 60_000;
      expect((await watchRequests(deps)).reorchestrated).toEqual([]);
    }
    time.ms += 61_000; // the lease (one stall period, 300 s) has passed and the request is still stuck
    expect((await watchRequests(deps)).reorchestrated).toEqual(["start-1850"]);
    expect(orchestration.sent).toHaveLength(2);
    // The re-sent message still works: orchestrating is idempotent by stage.
    for (const m of orchestration.take()) await orchestrate(deps, m);
    await deliverActs();
    expect(calls("start")).toHaveLength(20);
  });
});
