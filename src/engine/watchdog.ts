/**
 * The watchdog: every run ends, whatever fails. A timer walks the index of unfinished requests and, for each:
 * - a request whose orchestration stalled (message poisoned or lost; still Accepted or Expanded well after it was
 *   made) gets its orchestration message again — orchestrating is idempotent by stage — once per lease: not while a
 *   paced retry or an earlier re-send is on its way (RequestRecord.orchestrationLeaseUntil);
 * - a subscription whose verification chain stopped (its sweep row has not changed for long: a verify message was
 *   poisoned or lost) gets the chain's next message again — the sweep protocol lets exactly one chain continue;
 * - a request past its deadline by more than the grace is ended: every open VM is judged at the deadline, with the
 *   best error known, and the request gets its final state.
 * It reports what it did.
 */
import { closeAtDeadline } from "./sweep";
import { finalizeIfComplete } from "./finalize";
import type { EngineDeps } from "./ports";
import type { RequestRecord } from "./records";

export interface WatchdogReport {
  checked: number;
  reorchestrated: string[];
  reseededSweeps: { requestId: string; subscriptionId: string }[];
  endedAtDeadline: string[];
  forgotten: string[];
}

/** How long a sweep row may stay unchanged: far longer than any delay a healthy chain waits between sweeps. */
export function stalledAfterMs(deps: EngineDeps): number {
  return Math.max(deps.settings.stallGraceSeconds, 10 * deps.settings.verifyIntervalSeconds) * 1000;
}

export async function watchRequests(deps: EngineDeps): Promise<WatchdogReport> {
  const report: WatchdogReport = { checked: 0, reorchestrated: [], reseededSweeps: [], endedAtDeadline: [], forgotten: [] };
  const now = deps.clock.now();
  for (const open of await deps.store.listOpenRequests()) {
    report.checked++;
    const record = await deps.store.getRequest(open.requestId);
    if (!record || record.stage === "completed") {
      // Completed (its index row outlived a crash in finalize), or an index row whose request was never written.
      if (record || now.getTime() - open.indexedAt.getTime() > stalledAfterMs(deps)) {
        await deps.store.removeOpenRequest(open.requestId);
        report.forgotten.push(open.requestId);
      }
      continue;
    }
    if (now.getTime() >= record.deadline.getTime() + stalledAfterMs(deps)) {
      await endAtDeadline(deps, record);
      report.endedAtDeadline.push(record.requestId);
    } else if (record.stage !== "released") {
      if (now.getTime() - record.createdAt.getTime() > stalledAfterMs(deps) && (await leaseOrchestration(deps, record, now))) {
        await deps.orchestrationQueue.send({ requestId: record.requestId });
        report.reorchestrated.push(record.requestId);
      }
    } else {
      for (const sweep of await deps.store.listSweeps(record.requestId)) {
        if (sweep.done || !sweep.updatedAt || now.getTime() - sweep.updatedAt.getTime() <= stalledAfterMs(deps)) continue;
        await deps.executionQueue.send({ type: "verify", requestId: record.requestId, subscriptionId: sweep.subscriptionId, sweep: sweep.sweepSeq });
        report.reseededSweeps.push({ requestId: record.requestId, subscriptionId: sweep.subscriptionId });
      }
    }
  }
  if (report.reorchestrated.length + report.reseededSweeps.length + report.endedAtDeadline.length > 0) {
    deps.log(`Watchdog: ${JSON.stringify(report)}`);
  }
  return report;
}

/**
 * Takes the request's orchestration lease for one stall period, unless a message is known to be on its way (an earlier
 * lease, or a paced expansion retry, still holds). Etag-checked: of two watchdogs looking at once, one sends.
 */
async function leaseOrchestration(deps: EngineDeps, record: RequestRecord, now: Date): Promise<boolean> {
  if (record.orchestrationLeaseUntil && now.getTime() < record.orchestrationLeaseUntil.getTime()) return false;
  return (await deps.store.updateRequest(record, { orchestrationLeaseUntil: new Date(now.getTime() + stalledAfterMs(deps)) })) !== undefined;
}

/** The run's work stopped and its deadline is long past: judge every open VM now, close its sweeps, finish it. */
async function endAtDeadline(deps: EngineDeps, record: RequestRecord): Promise<void> {
  if (record.stage === "accepted") {
    const ended = await deps.store.updateRequest(record, {
      stage: "completed", state: "Failed", completedAt: deps.clock.now(),
      message: `The request never got past expanding its scopes before its deadline ${record.deadline.toISOString()} (its orchestration kept failing); nothing was started or stopped.`,
    });
    if (ended) await deps.store.removeOpenRequest(record.requestId);
    return;
  }
  const open = await deps.store.listVmRows(record.requestId, { openOnly: true });
  await closeAtDeadline(deps, record, open);
  for (const sweep of await deps.store.listSweeps(record.requestId)) if (!sweep.done) await deps.store.updateSweep(sweep, { done: true });
  await finalizeIfComplete(deps, record.requestId);
}
