/**
 * The eviction watcher: finds VMs that should be running (their last start finished) but are deallocated, asks Azure
 * why, and records it. A Spot eviction (Resource Health: platform initiated) is restarted when the start that set
 * "running" asked for it (`RestartEvicted`) or the setting does; a VM a person or pipeline stopped is never touched.
 * Restarts go through the request engine, so they are paced, held by the breaker in a failing region, backed off on
 * capacity errors, and end when the next scheduled stop supersedes them.
 */
import { createHash } from "node:crypto";
import { isArmRequestError } from "../domain/armError";
import { parseVmId, vmId, type VmRef } from "../domain/resourceId";
import type { ScheduledRequest } from "../domain/scheduledRequest";
import type { ObservedVmStatus } from "../domain/verification";
import { mapWithConcurrency } from "../engine/concurrency";
import type { DesiredState, EngineDeps } from "../engine/ports";
import type { RequestRecord } from "../engine/records";
import { submitRequest } from "../engine/submitRequest";
import type { Telemetry } from "../telemetry/telemetry";
import type { EvictionRecord, EvictionStore } from "./evictionStore";
import { explainStop, type VmActivity } from "./evictionVerdict";

/** Reads what Azure recorded about a VM (adapter: src/adapters/armPlatformEvents.ts). */
export interface VmActivityReader {
  vmActivity(ref: VmRef, from: Date, to: Date): Promise<VmActivity[]>;
}

export interface EvictionWatchDeps {
  engine: EngineDeps;
  activity: VmActivityReader;
  evictions: EvictionStore;
  telemetry: Telemetry;
  settings: {
    /** Restart evicted VMs even when their start did not ask for it. */
    restartEvicted: boolean;
    /** A restart keeps trying (capacity backoff) this long at most; the next scheduled stop ends it sooner. */
    restartDeadlineMinutes: number;
  };
}

export interface EvictionWatchReport {
  checked: number;
  evicted: string[];
  stoppedByCaller: string[];
  unexplained: string[];
  /** VMs whose Activity Log could not be read this pass (asked again next time). */
  unreadable: string[];
  restartRequests: string[];
  recovered: string[];
}

const READ_CONCURRENCY = 4;

export async function watchEvictions(deps: EvictionWatchDeps): Promise<EvictionWatchReport> {
  const report: EvictionWatchReport = { checked: 0, evicted: [], stoppedByCaller: [], unexplained: [], unreadable: [], restartRequests: [], recovered: [] };
  const { engine } = deps;
  const running = await engine.desiredStates.listByDesired("running");
  const requests = new Map<string, Promise<RequestRecord | undefined>>();
  const requestOf = (id: string) => {
    if (!requests.has(id)) requests.set(id, engine.store.getRequest(id));
    return requests.get(id)!;
  };

  // Only VMs whose start has finished: while it runs, a deallocated VM is the engine's business.
  const settled: DesiredState[] = [];
  for (const entry of running) if ((await requestOf(entry.requestId))?.stage === "completed") settled.push(entry);
  report.checked = settled.length;

  const bySubscription = new Map<string, DesiredState[]>();
  for (const e of settled) bySubscription.set(e.subscriptionId.toLowerCase(), [...(bySubscription.get(e.subscriptionId.toLowerCase()) ?? []), e]);
  const toRestart: Array<{ entry: DesiredState; record: EvictionRecord }> = [];
  const statusByVm = new Map<string, ObservedVmStatus | undefined>();

  for (const [subscriptionId, entries] of bySubscription) {
    const statuses = await readStatuses(engine, subscriptionId, entries);
    for (const [k, v] of statuses) statusByVm.set(k, v);
    const lost = entries.filter((e) => statuses.get(e.vmKey)?.powerState === "deallocated");
    await mapWithConcurrency(lost, READ_CONCURRENCY, async (entry) => {
      const known = await deps.evictions.get(entry.vmKey);
      // Already explained for this start: an eviction being restarted, or a stop a person made.
      if (known && known.desiredRequestId === entry.requestId) return;
      const ref = parseVmId(entry.vmKey)!;
      const now = engine.clock.now();
      let records: VmActivity[];
      try {
        records = await deps.activity.vmActivity(ref, entry.requestCreatedAt, now);
      } catch (error) {
        // Not recorded: the next pass asks again. A 403 means the identity may not read this subscription's Activity Log.
        if (!isArmRequestError(error)) throw error;
        report.unreadable.push(`${entry.vmKey} (${error.failure.code})`);
        return;
      }
      const verdict = explainStop(records, entry.requestCreatedAt);
      const record: EvictionRecord = {
        vmKey: entry.vmKey, subscriptionId: entry.subscriptionId, desiredRequestId: entry.requestId, detectedAt: now, verdict: verdict.kind,
        at: verdict.kind === "unknown" ? undefined : verdict.at,
        detail: verdict.kind === "evicted" ? verdict.reason : verdict.kind === "stoppedByCaller" ? `${verdict.operation} by ${verdict.caller}` : verdict.reason,
        source: verdict.kind === "evicted" ? verdict.source : verdict.kind === "stoppedByCaller" ? "ActivityLog" : undefined,
      };
      if (verdict.kind === "evicted") {
        report.evicted.push(entry.vmKey);
        deps.telemetry.event("VmEvicted", { vmId: vmId(ref), evictedAt: verdict.at.toISOString(), reason: verdict.reason, desiredBy: entry.requestId });
        const request = await requestOf(entry.requestId);
        if (deps.settings.restartEvicted || request?.request.restartEvicted) toRestart.push({ entry, record });
      } else if (verdict.kind === "stoppedByCaller") {
        report.stoppedByCaller.push(entry.vmKey);
      } else {
        report.unexplained.push(entry.vmKey);
      }
      await deps.evictions.save(record);
    });
  }

  report.restartRequests = await restart(deps, toRestart);
  report.recovered = await noteRecoveries(deps, statusByVm);
  return report;
}

/** One status list per subscription; VM by VM when the identity may only read some resource groups. */
async function readStatuses(engine: EngineDeps, subscriptionId: string, entries: DesiredState[]): Promise<Map<string, ObservedVmStatus | undefined>> {
  try {
    const all = await engine.compute.listVmStatuses(subscriptionId);
    return new Map(entries.map((e) => [e.vmKey, all.get(e.vmKey)]));
  } catch (error) {
    if (!isArmRequestError(error) || error.failure.status !== 403) throw error;
    const reads = await mapWithConcurrency(entries, READ_CONCURRENCY, async (e) => [e.vmKey, await engine.compute.getVmStatus(parseVmId(e.vmKey)!)] as const);
    return new Map(reads);
  }
}

/** One start request per subscription for the VMs evicted in this pass; a repeat of the pass reuses it. */
async function restart(deps: EvictionWatchDeps, items: Array<{ entry: DesiredState; record: EvictionRecord }>): Promise<string[]> {
  const bySubscription = new Map<string, typeof items>();
  for (const item of items) bySubscription.set(item.entry.subscriptionId.toLowerCase(), [...(bySubscription.get(item.entry.subscriptionId.toLowerCase()) ?? []), item]);
  const ids: string[] = [];
  for (const group of bySubscription.values()) {
    const request: ScheduledRequest = {
      action: "start", sequenced: false, whatIf: false, continueOnError: true, sequenceDelaySeconds: 0,
      deadlineMinutes: deps.settings.restartDeadlineMinutes, restartEvicted: true,
      scopes: { subscriptions: [], resourceGroups: [], vms: group.map((g) => parseVmId(g.entry.vmKey)!), exclusions: [] },
    };
    const identity = `restart-evicted:${createHash("sha256").update(group.map((g) => `${g.entry.vmKey}|${g.entry.requestId}`).sort().join(",")).digest("hex")}`;
    const { record } = await submitRequest(deps.engine, request, identity);
    ids.push(record.requestId);
    for (const g of group) await deps.evictions.save({ ...g.record, restartRequestId: record.requestId });
  }
  return ids;
}

/** An evicted VM seen running again after its restart: recovered, once. */
async function noteRecoveries(deps: EvictionWatchDeps, statusByVm: Map<string, ObservedVmStatus | undefined>): Promise<string[]> {
  const recovered: string[] = [];
  for (const record of await deps.evictions.listAwaitingRecovery()) {
    let status = statusByVm.get(record.vmKey);
    if (!statusByVm.has(record.vmKey)) status = await deps.engine.compute.getVmStatus(parseVmId(record.vmKey)!);
    if (status?.powerState !== "running") continue;
    const now = deps.engine.clock.now();
    await deps.evictions.save({ ...record, recoveredAt: now });
    deps.telemetry.event("VmRecovered", {
      vmId: vmId(parseVmId(record.vmKey)!), evictedAt: record.at?.toISOString(), recoveredAt: now.toISOString(), restartRequestId: record.restartRequestId,
    });
    recovered.push(record.vmKey);
  }
  return recovered;
}
