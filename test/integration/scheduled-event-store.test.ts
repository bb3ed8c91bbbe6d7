/**
 * The scheduled-event store against real Azurite, under a hostile VM: 10,000 reports leave the act step's storage reads
 * unchanged (the rate limit keeps the window rows it reads to one page), absurd durations are stored capped without a
 * 500, windows of days gone by are never read again, and a visibility delay beyond the queue's 7 days is clamped instead
 * of refused.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { QueueServiceClient } from "@azure/storage-queue";
import { startAzurite, type RunningAzurite } from "../../src/local/azurite";
import { EVENTS_KEPT_PER_VM, SCHEDULED_EVENTS_TABLE, TableScheduledEventStore } from "../../src/adapters/tableScheduledEventStore";
import { StorageMessageQueue } from "../../src/adapters/storageQueues";
import { parseEventReport, type ScheduledEventReport } from "../../src/platformEvents/eventReport";
import { admitReport } from "../../src/platformEvents/reportAdmission";
import { MAX_WINDOW_SECONDS } from "../../src/platformEvents/maintenanceWindow";
import { REPORT_RATE_LIMIT } from "../../src/platformEvents/reportRateLimit";
import { actOnVms } from "../../src/engine/act";
import { orchestrate } from "../../src/engine/orchestrate";
import { mapWithConcurrency } from "../../src/engine/concurrency";
import type { ActMessage } from "../../src/engine/records";
import { memoryEngine } from "../support/memoryEngine";
import { MemoryDesiredStateStore } from "../twins/memoryDesiredStateStore";

const SUB = "aaaaaaaa-0000-4000-8000-00000000e021";
const vmIdOf = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg-ev/providers/Microsoft.Compute/virtualMachines/${name}`;
let azurite: RunningAzurite;
let table: TableClient;
let store: TableScheduledEventStore;
/** Requests made to the events table (each page of a query is one). */
let requests = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  table = TableClient.fromConnectionString(azurite.connectionString, SCHEDULED_EVENTS_TABLE, { allowInsecureConnection: true });
  table.pipeline.addPolicy({ name: "countRequests", sendRequest: (request, next) => (requests++, next(request)) });
  store = new TableScheduledEventStore(table);
});
afterAll(async () => azurite?.stop());

function report(name: string, eventId: string, event: Record<string, unknown>, at: Date): ScheduledEventReport {
  const parsed = parseEventReport({
    vmId: vmIdOf(name), documentIncarnation: 1,
    event: { EventId: eventId, EventType: "Freeze", Resources: [name], EventStatus: "Scheduled", NotBefore: new Date(at.getTime() + 60_000).toUTCString(), ...event },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

describe("scheduled-event store (Azurite)", () => {
  it("a hostile VM reporting 10,000 events leaves the storage reads of an act message unchanged", async () => {
    const { deps, compute, store: requestStore, execution, time } = memoryEngine("2026-11-23T19:00:00Z");
    deps.maintenance = store;
    for (let i = 1; i <= 50; i++) compute.add({ subscriptionId: SUB, resourceGroup: "rg-ev", name: `vm-${i}` }, "deallocated");
    const actCost = async (requestId: string) => {
      await requestStore.createRequest({
        requestId, action: "start", stage: "accepted", state: "Accepted", createdAt: new Date(time.ms), deadline: new Date(time.ms + 3_600_000), vmCount: 0, scopeErrors: [],
        request: { action: "start", sequenced: false, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0, scopes: { subscriptions: [SUB], resourceGroups: [], vms: [], exclusions: [] } },
      });
      await orchestrate(deps, { requestId });
      const acts = execution.take().filter((m): m is ActMessage => m.type === "act");
      const before = requests;
      for (const m of acts) await actOnVms(deps, m);
      return (requests - before) / acts.length;
    };
    await store.openWindows(new Date(time.ms)); // the table exists (its creation is no act message's cost)
    const baseline = await actCost("before-the-flood");

    // The hostile VM (in scope: it is one of ours) reports 10,000 distinct events, each holding a window.
    const now = new Date(time.ms);
    const admission = { targetScopes: [`/subscriptions/${SUB}`], desiredStates: new MemoryDesiredStateStore(), log: store };
    const verdicts = await mapWithConcurrency(Array.from({ length: 10_000 }, (_, i) => i), 16, (i) =>
      admitReport(admission, report("hostile-01", `ev-${i}`, { DurationInSeconds: 1e9 }, now), now));
    expect(verdicts.filter((v) => v.recorded)).toHaveLength(REPORT_RATE_LIMIT.burst);
    expect(verdicts.filter((v) => !v.recorded && v.status === 429)).toHaveLength(10_000 - REPORT_RATE_LIMIT.burst);
    const open = await store.openWindows(now);
    expect(open).toHaveLength(REPORT_RATE_LIMIT.burst);
    expect(Math.max(...open.map((w) => w.end.getTime() - w.start.getTime()))).toBe(MAX_WINDOW_SECONDS.Freeze! * 1000);

    time.ms += 3_700_000; // the next schedule, an hour later, with the VMs deallocated again
    for (const vm of compute.vms.values()) vm.powerState = "deallocated";
    const after = await actCost("after-the-flood");
    // Figures (closing note): the same number of events-table reads per act message before and after.
    expect(baseline).toBeGreaterThan(0);
    expect(after).toBeGreaterThanOrEqual(baseline * 0.9);
    expect(after).toBeLessThanOrEqual(baseline * 1.1);
  }, 60_000);

  it("a report with DurationInSeconds 1e20 or a week is stored capped, not a 500, and yesterday's windows are never read again", async () => {
    const yesterday = new Date("2026-11-22T10:00:00Z");
    await store.record(report("vm-old", "ev-old", { DurationInSeconds: 600 }, yesterday), yesterday);
    const today = new Date("2026-11-23T10:00:00Z");
    await store.record(report("vm-1e20", "ev-1e20", { EventType: "Reboot", DurationInSeconds: 1e20 }, today), today);
    await store.record(report("vm-week", "ev-week", { EventType: "Redeploy", DurationInSeconds: 7 * 24 * 3600 }, today), today);
    const open = await store.openWindows(today);
    const byVm = new Map(open.map((w) => [w.vmKey.split("/").pop(), (w.end.getTime() - w.start.getTime()) / 1000]));
    expect(byVm.get("vm-1e20")).toBe(MAX_WINDOW_SECONDS.Reboot);
    expect(byVm.get("vm-week")).toBe(MAX_WINDOW_SECONDS.Redeploy);
    expect(byVm.has("vm-old")).toBe(false);
    const partitions = new Set<string>();
    for await (const e of table.listEntities({ queryOptions: { filter: "PartitionKey ge 'windows|' and PartitionKey lt 'windows}'" } })) partitions.add(e.partitionKey!);
    expect([...partitions].sort()).toEqual(["windows|2026-11-22", "windows|2026-11-23"]);
    expect((await store.listForVm(vmIdOf("vm-1e20").toLowerCase()))[0]!.durationSeconds).toBe(24 * 3600);
  });

  it("a VM's event rows expire: only its newest 50 are kept, so its page stays one read however long it reports", async () => {
    const start = Date.parse("2026-10-01T00:00:00Z");
    for (let i = 0; i < EVENTS_KEPT_PER_VM + 10; i++) {
      const at = new Date(start + i * 3_600_000);
      await store.record(report("chatty-01", `ev-chatty-${i}`, { DurationInSeconds: 9 }, at), at);
    }
    const kept = await store.listForVm(vmIdOf("chatty-01").toLowerCase());
    expect(kept).toHaveLength(EVENTS_KEPT_PER_VM);
    expect(kept.map((e) => e.eventId)).not.toContain("ev-chatty-9");
    expect(kept.map((e) => e.eventId)).toContain(`ev-chatty-${EVENTS_KEPT_PER_VM + 9}`);
  });

  it("a delay beyond the queue's 7-day visibility limit is clamped, not refused (no poisoned act message)", async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    const queue = new StorageMessageQueue<{ n: number }>(service, "bounded-delays");
    await queue.send({ n: 1 }, 31 * 24 * 3600);
    await queue.send({ n: 2 }, 1e9);
    const peeked = await service.getQueueClient("bounded-delays").getProperties();
    expect(peeked.approximateMessagesCount).toBe(2);
  });
});
