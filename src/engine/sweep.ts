/**
 * The executor's "verify" step: one sweep per subscription of a run reads power states in bulk, records
 * every VM that reached its target (or failed), re-sends work that a crash lost, and schedules the next
 * sweep until every VM of that subscription has an outcome.
 *
 * Exactly one sweep chain per subscription: a verify message is valid only when its number equals the
 * row's `sweepSeq`; it first claims the row (sweepSeq + 1, etag-checked) so a duplicate loses the race,
 * then works, then sends message sweepSeq + 1. If the host dies after the claim, the redelivered message
 * (dequeueCount > 1, number = sweepSeq - 1) is allowed to finish the job instead of being dropped.
 */
import { isArmRequestError } from "../domain/armError";
import { isTerminal } from "../domain/runState";
import { judgeActingVm, type ObservedVmStatus } from "../domain/verification";
import { retryOrFail } from "./act";
import { mapWithConcurrency } from "./concurrency";
import { finalizeIfComplete } from "./finalize";
import { writeRows } from "./rowWrites";
import { advanceSequence } from "./sequence";
import type { EngineDeps, RowWrite } from "./ports";
import type { RequestRecord, VerifyMessage, VmRecord } from "./records";

const READ_CONCURRENCY = 16;
const MAX_REKICKS_PER_SWEEP = 100;

export async function sweepSubscription(deps: EngineDeps, message: VerifyMessage, dequeueCount: number): Promise<void> {
  const sweep = await deps.store.getSweep(message.requestId, message.subscriptionId);
  if (!sweep || sweep.done) return;
  const resumingAfterCrash = dequeueCount > 1 && message.sweep === sweep.sweepSeq - 1;
  if (message.sweep !== sweep.sweepSeq && !resumingAfterCrash) return;
  const claimed = resumingAfterCrash ? sweep : await deps.store.updateSweep(sweep, { sweepSeq: sweep.sweepSeq + 1 });
  if (!claimed) return;

  const request = await deps.store.getRequest(message.requestId);
  if (!request) return;
  const rows = await deps.store.listVmRows(message.requestId, { subscriptionId: message.subscriptionId, openOnly: true });
  let nextDelay = deps.settings.verifyIntervalSeconds;
  const closed = new Set<string>();
  try {
    const verified = await verifyActingRows(deps, request, rows.filter((r) => r.status === "Acting"));
    verified.closed.forEach((key) => closed.add(key));
    // A sweep that lists a big subscription costs many reads: space such sweeps out (ARM reads per VM stay low).
    nextDelay = Math.max(nextDelay, verified.listed / deps.settings.verifyListVmsPerSecond);
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    // Reading states failed (throttled or transient): nothing is decided this round; try again later.
    deps.log(`Sweep of ${message.subscriptionId} for ${message.requestId} could not read power states: ${error.message}`);
    nextDelay = Math.max(nextDelay, error.failure.retryAfterSeconds ?? 0);
  }
  await rekickStalledRows(deps, request, rows.filter((r) => r.status === "Pending" || r.status === "Waiting"));
  if (request.sequence) await advanceSequence(deps, request.requestId);

  if (rows.some((r) => !closed.has(r.key))) {
    await deps.executionQueue.send({ ...message, sweep: claimed.sweepSeq }, nextDelay);
    return;
  }
  await deps.store.updateSweep(claimed, { done: true });
  await finalizeIfComplete(deps, message.requestId);
}

/** Applies the verdicts; returns the keys of the rows that now have an outcome, and how many VMs a list returned. */
async function verifyActingRows(deps: EngineDeps, request: RequestRecord, acting: VmRecord[]): Promise<{ closed: string[]; listed: number }> {
  if (acting.length === 0) return { closed: [], listed: 0 };
  const { observed, listed } = await readStatuses(deps, acting);
  const now = deps.clock.now();
  const writes: RowWrite[] = [];
  for (const row of acting) {
    const verdict = judgeActingVm({
      action: request.action, actedAt: row.actedAt ?? now, deadline: request.deadline, now, observed: observed.get(row.key),
    });
    switch (verdict.kind) {
      case "reached":
        deps.backpressure.afterReached(row);
        writes.push({ row, changes: { status: "Succeeded", finishedAt: now, powerState: verdict.powerState, errorCode: undefined, errorMessage: undefined, note: undefined } });
        break;
      case "gone":
        writes.push({ row, changes: { status: "Failed", finishedAt: now, errorCode: "ResourceNotFound", errorMessage: "the VM no longer exists (it disappeared while the action was running)" } });
        break;
      case "deadlinePassed":
        writes.push({ row, changes: { status: "Failed", finishedAt: now, errorCode: "DeadlineExceeded", errorMessage: verdict.message, powerState: observed.get(row.key)?.powerState } });
        break;
      case "operationFailed":
        writes.push({ row, changes: retryOrFail(deps, row, verdict.failure, request.deadline) });
        break;
      case "stillGoing":
        // No write: recording every transition would cost a table write per VM per sweep at scale.
        break;
    }
  }
  const written = await writeRows(deps, request, writes);
  return { closed: written.filter((r): r is VmRecord => r !== undefined && isTerminal(r.status)).map((r) => r.key), listed };
}

/** A few VMs are cheaper to read one by one; many are cheaper with one paged list of the subscription. */
async function readStatuses(deps: EngineDeps, rows: VmRecord[]): Promise<{ observed: Map<string, ObservedVmStatus>; listed: number }> {
  if (rows.length > deps.settings.singleReadThreshold) {
    const observed = await deps.compute.listVmStatuses(rows[0]!.subscriptionId);
    return { observed, listed: observed.size };
  }
  const result = new Map<string, ObservedVmStatus>();
  await mapWithConcurrency(rows, READ_CONCURRENCY, async (row) => {
    const status = await deps.compute.getVmStatus({ subscriptionId: row.subscriptionId, resourceGroup: row.resourceGroup, name: row.name });
    if (status) result.set(row.key, status);
  });
  return { observed: result, listed: 0 };
}

/**
 * The safety net: a row whose act message should have run long ago lost it (host killed between a row
 * write and a send). Send it again; the act step's attempt check makes duplicates harmless. Capped per
 * sweep: when the executors are merely behind, a flood of duplicates would only put them further behind.
 */
async function rekickStalledRows(deps: EngineDeps, request: RequestRecord, waiting: VmRecord[]): Promise<void> {
  const now = deps.clock.now();
  const graceMs = deps.settings.stallGraceSeconds * 1000;
  const stalled = waiting.filter((row) => !row.dueAt || now.getTime() - row.dueAt.getTime() > graceMs).slice(0, MAX_REKICKS_PER_SWEEP);
  await writeRows(deps, request, stalled.map((row) => ({ row, changes: { dueAt: now } })));
}
