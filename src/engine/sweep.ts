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
import { classifyFailure } from "../domain/retryPolicy";
import { isTerminal } from "../domain/runState";
import { judgeActingVm, type ObservedVmStatus } from "../domain/verification";
import { deadlineFailure, retryOrFail } from "./act";
import { domainName } from "./backpressure";
import { hasReachedTarget, isInTransitionToTarget } from "../domain/power";
import { mapWithConcurrency } from "./concurrency";
import { finalizeIfComplete } from "./finalize";
import { writeRows } from "./rowWrites";
import { advanceSequence } from "./advanceSequence";
import { actionOf } from "./rowAction";
import { verbOf } from "../targets/powerAction";
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
    nextDelay = Math.max(nextDelay, verified.listed / deps.settings.verifyListVmsPerSecond, verified.singleReads / SINGLE_READS_PER_SECOND);
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    // Reading states failed (throttled or transient): nothing is decided this round; try again later.
    deps.log(`Sweep of ${message.subscriptionId} for ${message.requestId} could not read power states: ${error.message}`, { requestId: message.requestId });
    nextDelay = Math.max(nextDelay, error.failure.retryAfterSeconds ?? 0);
  }
  const stillOpen = rows.filter((r) => !closed.has(r.key));
  if (isSequenceTail(request, stillOpen)) {
    // The next group waits for these last few VMs: look again sooner (a handful of single reads) so the hand-over
    // does not wait a whole interval.
    nextDelay = Math.min(nextDelay, deps.settings.verifyIntervalSeconds / SEQUENCE_TAIL_SPEEDUP);
  }
  if (deps.clock.now() >= request.deadline) {
    // Whatever the reads returned, a run ends at its deadline: every VM still open is judged now.
    (await closeAtDeadline(deps, request, stillOpen)).forEach((key) => closed.add(key));
  } else {
    await rekickStalledRows(deps, request, stillOpen.filter((r) => r.status === "Pending" || r.status === "Waiting"));
  }
  if (request.sequence) await advanceSequence(deps, request.requestId);

  if (rows.some((r) => !closed.has(r.key))) {
    await deps.executionQueue.send({ ...message, sweep: claimed.sweepSeq }, nextDelay);
    return;
  }
  await deps.store.updateSweep(claimed, { done: true });
  await finalizeIfComplete(deps, message.requestId);
}

/** Applies the verdicts; returns the keys of the rows that now have an outcome, and how many VMs a list returned. */
async function verifyActingRows(deps: EngineDeps, request: RequestRecord, acting: VmRecord[]): Promise<{ closed: string[]; listed: number; singleReads: number }> {
  if (acting.length === 0) return { closed: [], listed: 0, singleReads: 0 };
  const { observed, unread, listed, singleReads } = await readStatuses(deps, acting);
  const now = deps.clock.now();
  const writes: RowWrite[] = [];
  const recovered = new Set<string>();
  for (const row of acting) {
    if (unread.has(row.key)) continue;
    const action = actionOf(row, request);
    const verdict = judgeActingVm({
      action, actedAt: row.actedAt ?? now, deadline: request.deadline, now, observed: observed.get(row.key),
    });
    switch (verdict.kind) {
      case "reached":
        if (deps.backpressure.domainFailing(row)) recovered.add(domainName(row));
        deps.backpressure.afterReached(row);
        // A wait for announced maintenance stays in the outcome ("waited: ..."); other notes were about the way there.
        writes.push({ row, changes: {
          status: "Succeeded", finishedAt: now, powerState: verdict.powerState, hibernated: verdict.hibernated || undefined,
          errorCode: undefined, errorMessage: undefined, note: row.note?.startsWith("waited: ") ? row.note : undefined,
        } });
        break;
      case "gone":
        writes.push({ row, changes: { status: "Failed", finishedAt: now, errorCode: "ResourceNotFound", errorMessage: "the VM no longer exists (it disappeared while the action was running)" } });
        break;
      case "deadlinePassed":
        writes.push({ row, changes: { status: "Failed", finishedAt: now, errorCode: "DeadlineExceeded", errorMessage: verdict.message, powerState: observed.get(row.key)?.powerState } });
        break;
      case "operationFailed":
        writes.push({ row, changes: retryOrFail(deps, row, verdict.failure, request.deadline, action) });
        break;
      case "stillGoing":
        // No write: recording every transition would cost a table write per VM per sweep at scale. Except a claim
        // whose call never happened (the host died between claim and call): the VM is not moving, so call again.
        if (isLostClaim(deps, request, row, observed.get(row.key), now)) {
          writes.push({ row, changes: { status: "Pending", dueAt: now, note: `claimed at ${row.actedAt?.toISOString()} but the VM never began to ${verbOf(action)}; calling again` } });
        }
        break;
    }
  }
  const written = await writeRows(deps, request, writes);
  if (recovered.size > 0) await releaseHeldByBreaker(deps, request, acting[0]!.subscriptionId, recovered);
  return { closed: written.filter((r): r is VmRecord => r !== undefined && isTerminal(r.status)).map((r) => r.key), listed, singleReads };
}

/**
 * A probe reached its target: the domain's platform works again. The VMs its breaker held back are due now, not when
 * their deferred messages come round (which could be minutes later).
 */
async function releaseHeldByBreaker(deps: EngineDeps, request: RequestRecord, subscriptionId: string, domains: Set<string>): Promise<void> {
  const now = deps.clock.now();
  const held = (await deps.store.listVmRows(request.requestId, { subscriptionId, openOnly: true }))
    .filter((r) => r.heldBy === "breaker" && (r.status === "Pending" || r.status === "Waiting") && domains.has(domainName(r)));
  await writeRows(deps, request, held.map((row) => ({ row, changes: { dueAt: now, heldBy: undefined, note: `released: the platform recovered (a probe reached its target at ${now.toISOString()})` } })));
}

/** Acting since long ago, yet neither in nor heading to the target state, and no newer failure: the call was never made. */
function isLostClaim(deps: EngineDeps, request: RequestRecord, row: VmRecord, observed: ObservedVmStatus | undefined, now: Date): boolean {
  if (row.attempt === 0 || !row.actedAt || !observed) return false;
  if (now.getTime() - row.actedAt.getTime() < deps.settings.stallGraceSeconds * 1000) return false;
  const action = actionOf(row, request);
  return !isInTransitionToTarget(action, observed.powerState) && !hasReachedTarget(action, observed.powerState);
}

/** The deadline passed: every open row gets its final outcome now (Acting rows were judged by the verification). */
export async function closeAtDeadline(deps: EngineDeps, request: RequestRecord, open: VmRecord[]): Promise<string[]> {
  const now = deps.clock.now();
  const writes: RowWrite[] = open.map((row) => ({
    row,
    changes: row.status === "Held"
      ? { status: "Failed", finishedAt: now, errorCode: "DeadlineExceeded", errorMessage: `the request deadline ${request.deadline.toISOString()} passed before this VM's group was released` }
      : row.status === "Acting"
        ? { status: "Failed", finishedAt: now, errorCode: row.errorCode ?? "DeadlineExceeded", errorMessage: `was not verified in its target state by the request deadline ${request.deadline.toISOString()} (its state could not be read)${row.errorCode ? `; last error ${row.errorCode}: ${row.errorMessage}` : ""}` }
        : deadlineFailure(row, request, deps.backpressure, now),
  }));
  const written = await writeRows(deps, request, writes);
  return written.filter((r): r is VmRecord => r !== undefined).map((r) => r.key);
}

/**
 * Subscriptions whose VM list this identity may not read (its role is on resource groups only): their sweeps read VMs
 * one by one instead of meeting the same 403 every time. Per host instance; a new instance learns it once.
 */
const listForbidden = new Set<string>();
/** Per-VM reads a sweep may spend per second of its interval (ARM's read bucket refills 25/s per subscription). */
const SINGLE_READS_PER_SECOND = 20;
/** How much sooner a sweep comes back when only a Sequenced group's last few VMs are still on their way. */
const SEQUENCE_TAIL_SPEEDUP = 3;
/** "A few": the slowest 5% of a 1,000-VM group; one extra list read per sweep of the tail is all it costs. */
const SEQUENCE_TAIL_VMS = 50;

/** A Sequenced run whose current group, in this subscription, is down to a few VMs all on their way (none waiting). */
function isSequenceTail(request: RequestRecord, open: VmRecord[]): boolean {
  const current = request.sequence?.current;
  if (current === undefined || request.sequence?.haltedBy) return false;
  const tail = open.filter((r) => r.group === current);
  return tail.length > 0 && tail.length <= SEQUENCE_TAIL_VMS && tail.every((r) => r.status === "Acting");
}

interface StatusReads {
  observed: Map<string, ObservedVmStatus>;
  /** Rows whose state could not be read this time: not judged (not even as gone). */
  unread: Set<string>;
  listed: number;
  singleReads: number;
}

/**
 * A few VMs are cheaper to read one by one; many are cheaper with one paged list of the subscription — unless the
 * identity may not list the subscription, then one by one too. Single reads that fail leave only that VM undecided.
 */
async function readStatuses(deps: EngineDeps, rows: VmRecord[]): Promise<StatusReads> {
  const subscriptionId = rows[0]!.subscriptionId;
  if (rows.length > deps.settings.singleReadThreshold && !listForbidden.has(subscriptionId.toLowerCase())) {
    try {
      const observed = await deps.compute.listVmStatuses(subscriptionId);
      return { observed, unread: new Set(), listed: observed.size, singleReads: 0 };
    } catch (error) {
      if (!isArmRequestError(error) || classifyFailure(error.failure) !== "permanent") throw error;
      listForbidden.add(subscriptionId.toLowerCase());
      deps.log(`Cannot list the VMs of subscription ${subscriptionId} (${error.failure.code}); reading its VMs one by one from now on`);
    }
  }
  const observed = new Map<string, ObservedVmStatus>();
  const unread = new Set<string>();
  let lastError: unknown;
  await mapWithConcurrency(rows, READ_CONCURRENCY, async (row) => {
    try {
      const status = await deps.compute.getVmStatus({ subscriptionId: row.subscriptionId, resourceGroup: row.resourceGroup, name: row.name });
      if (status) observed.set(row.key, status);
    } catch (error) {
      if (!isArmRequestError(error)) throw error;
      unread.add(row.key);
      lastError = error;
    }
  });
  if (unread.size === rows.length && lastError) throw lastError;
  return { observed, unread, listed: 0, singleReads: rows.length };
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
