/**
 * A Sequenced run's group advance reads only the current group. It runs after every sweep of every
 * subscription, so reading the whole run each time would cost groups × sweeps × run size in storage reads.
 * Replayed with the in-memory twins (the engine's own code runs unchanged); the twin counts the rows its
 * listings return, which is what Table storage would send back.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { actOnVms } from "../../src/engine/act";
import { advanceSequence } from "../../src/engine/advanceSequence";
import { orchestrate } from "../../src/engine/orchestrate";
import { sweepSubscription } from "../../src/engine/sweep";
import { memoryEngine, type MemoryEngine } from "../support/memoryEngine";

const SUBS = ["aaaaaaaa-0000-4000-8000-000000000011", "aaaaaaaa-0000-4000-8000-000000000012"];
const GROUPS = 10;
const PER_GROUP = 60; // 30 in each subscription
let engine: MemoryEngine;

beforeEach(() => {
  engine = memoryEngine("2026-11-30T08:00:00Z");
  for (let group = 0; group < GROUPS; group++) {
    for (let i = 0; i < PER_GROUP; i++) {
      engine.compute.add({ subscriptionId: SUBS[i % 2]!, resourceGroup: "rg", name: `vm-g${group}-${i}` }, "deallocated");
      engine.compute.vms.get([...engine.compute.vms.keys()].at(-1)!)!.info.tags = { sequencestart: String(group * 10) };
    }
  }
});

describe("Sequenced runs at scale (in-memory twins)", () => {
  it("each group advance reads the current group's rows, not the run's, and the groups still run in order", async () => {
    await engine.store.createRequest({
      requestId: "r1", action: "start", stage: "accepted", state: "Accepted", createdAt: new Date(engine.time.ms), deadline: new Date(engine.time.ms + 3_600_000), vmCount: 0, scopeErrors: [],
      request: { action: "start", sequenced: true, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0, scopes: { subscriptions: SUBS, resourceGroups: [], vms: [], exclusions: [] } },
    });
    const { deps, store, compute, execution } = engine;
    await orchestrate(deps, { requestId: "r1" });

    const readPerAdvance: number[] = [];
    for (let round = 0; round < 200; round++) {
      const messages = execution.take();
      if (messages.length === 0) break;
      for (const m of messages) {
        if (m.type === "act") await actOnVms(deps, m);
        else if (m.type === "verify") {
          engine.time.ms += 15_000;
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
