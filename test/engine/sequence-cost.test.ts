/**
 * A Sequenced run's group advance reads only the current group. It runs after every sweep of every
 * subscription, so reading the whole run each time would cost groups × sweeps × run size in storage reads.
 * Replayed with the in-memory twins (the engine's own code runs unchanged); the twin counts the rows its
 * listings return, which is what Table storage would send back.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryBudgetLedger } from "../../src/adapters/memory/memoryBudgetLedger";
import { MemoryCompute } from "../../src/adapters/memory/memoryCompute";
import { MemoryDesiredStateStore } from "../../src/adapters/memory/memoryDesiredStateStore";
import { MemoryMaintenanceCalendar } from "../../src/adapters/memory/memoryMaintenanceCalendar";
import { MemoryQueue } from "../../src/adapters/memory/memoryQueue";
import { MemoryRequestStore } from "../../src/adapters/memory/memoryRequestStore";
import { DEFAULT_BREAKER } from "../../src/domain/circuitBreaker";
import { DOCUMENTED_BUDGET } from "../../src/domain/pacing";
import { DEFAULT_RETRY_POLICY } from "../../src/domain/retryPolicy";
import { actOnVms } from "../../src/engine/act";
import { advanceSequence } from "../../src/engine/advanceSequence";
import { Backpressure } from "../../src/engine/backpressure";
import { orchestrate } from "../../src/engine/orchestrate";
import { sweepSubscription } from "../../src/engine/sweep";
import type { EngineDeps } from "../../src/engine/ports";
import type { ExecutionMessage, OrchestrationMessage } from "../../src/engine/records";

const SUBS = ["aaaaaaaa-0000-4000-8000-000000000011", "aaaaaaaa-0000-4000-8000-000000000012"];
const GROUPS = 10;
const PER_GROUP = 60; // 30 in each subscription
let store: MemoryRequestStore;
let compute: MemoryCompute;
let execution: MemoryQueue<ExecutionMessage>;
let deps: EngineDeps;
let now: number;

beforeEach(() => {
  store = new MemoryRequestStore();
  compute = new MemoryCompute();
  execution = new MemoryQueue<ExecutionMessage>();
  now = Date.parse("2026-11-30T08:00:00Z");
  for (let group = 0; group < GROUPS; group++) {
    for (let i = 0; i < PER_GROUP; i++) {
      const ref = { subscriptionId: SUBS[i % 2]!, resourceGroup: "rg", name: `vm-g${group}-${i}` };
      compute.add(ref, "deallocated");
      compute.vms.get([...compute.vms.keys()].at(-1)!)!.info.tags = { sequencestart: String(group * 10) };
    }
  }
  deps = {
    compute, store, desiredStates: new MemoryDesiredStateStore(), maintenance: new MemoryMaintenanceCalendar(),
    orchestrationQueue: new MemoryQueue<OrchestrationMessage>(), executionQueue: execution,
    clock: { now: () => new Date(now), sleep: async (s) => void (now += s * 1000) },
    random: () => 0.5,
    backpressure: new Backpressure(DOCUMENTED_BUDGET, DEFAULT_BREAKER), budget: new MemoryBudgetLedger(DOCUMENTED_BUDGET),
    settings: { deadlineMinutes: 120, verifyIntervalSeconds: 15, stallGraceSeconds: 300, singleReadThreshold: 10, verifyListVmsPerSecond: 200, retry: DEFAULT_RETRY_POLICY, pacing: DOCUMENTED_BUDGET },
    log: () => undefined,
    finishedListeners: [],
  };
});

describe("Sequenced runs at scale (in-memory twins)", () => {
  it("each group advance reads the current group's rows, not the run's, and the groups still run in order", async () => {
    await store.createRequest({
      requestId: "r1", action: "start", stage: "accepted", state: "Accepted", createdAt: new Date(now), deadline: new Date(now + 3_600_000), vmCount: 0, scopeErrors: [],
      request: { action: "start", sequenced: true, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0, scopes: { subscriptions: SUBS, resourceGroups: [], vms: [], exclusions: [] } },
    });
    await orchestrate(deps, { requestId: "r1" });

    const readPerAdvance: number[] = [];
    for (let round = 0; round < 200; round++) {
      const messages = execution.take();
      if (messages.length === 0) break;
      for (const m of messages) {
        if (m.type === "act") await actOnVms(deps, m);
        else if (m.type === "verify") {
          now += 15_000;
          await sweepSubscription(deps, m, 1);
          // The same advance the sweep just made, measured on its own.
          const before = store.rowsListed;
          await advanceSequence(deps, "r1");
          readPerAdvance.push(store.rowsListed - before);
        }
      }
    }

    const request = await store.getRequest("r1");
    expect(request?.state).toBe("Succeeded");
    // Every VM started once, group by group: no call to group k+1 before every VM of group k was called.
    expect(compute.accepted).toHaveLength(GROUPS * PER_GROUP);
    const groupOf = (key: string) => Number(/vm-g(\d+)-/.exec(key)![1]);
    const order = compute.accepted.map((c) => groupOf(c.key));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    expect(readPerAdvance.length).toBeGreaterThan(GROUPS);
    // The current group (and, the moment it completes, the next one it releases): never the whole run.
    expect(Math.max(...readPerAdvance)).toBeLessThanOrEqual(2 * PER_GROUP);
  });
});
