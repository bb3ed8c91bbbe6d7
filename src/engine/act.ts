/**
 * The executor's "act" step: send start or deallocate once per attempt, record that Azure accepted it,
 * and leave verification to the sweep. This is the only place a power action is sent.
 */
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { decideRetry } from "../domain/retryPolicy";
import { isTerminal } from "../domain/runState";
import type { EngineDeps, RowWrite } from "./ports";
import type { ActMessage, VmRecord } from "./records";
import { mapWithConcurrency } from "./concurrency";
import { writeRows } from "./rowWrites";

const VMS_IN_PARALLEL = 16;
/**
 * A VM whose bucket refills within this long waits in the invocation instead of going back to the queue:
 * a round trip through the queue costs seconds (delay rounding, polling), and at a bucket's refill rate
 * every VM of a run would pay it.
 */
const MAX_INLINE_WAIT_SECONDS = 2;

/**
 * Handles an act message: every VM in it on its own (one VM's failure never holds up the others), then
 * what happened to all of them is written in one batch. VMs that must wait (budget spent, breaker open,
 * retry later) go back in as few messages as possible.
 */
export async function actOnVms(deps: EngineDeps, message: ActMessage): Promise<void> {
  const request = { requestId: message.requestId, action: message.action, deadline: new Date(message.deadline) };
  const decided = await mapWithConcurrency(message.vms, VMS_IN_PARALLEL, (vm) => actOnVm(deps, message, vm));
  const writes = decided.filter((w): w is RowWrite => w !== undefined);
  const written = await writeRows(deps, request, writes);
  const lostAcceptances = writes.filter((w, i) => w.changes.status === "Acting" && written[i] === undefined);
  await mapWithConcurrency(lostAcceptances, VMS_IN_PARALLEL, (w) => recordAcceptedAgain(deps, w));
}

/** Decides about one VM (and makes its call); returns the row change to write, if any. */
async function actOnVm(deps: EngineDeps, message: ActMessage, vm: ActMessage["vms"][number]): Promise<RowWrite | undefined> {
  const row = await deps.store.getVmRow(message.requestId, vm.key);
  // Idempotency: a duplicate or stale message finds the row already past this attempt.
  if (!row || isTerminal(row.status) || row.attempt !== vm.attempt || row.status === "Acting") return;
  let now = deps.clock.now();
  const deadline = new Date(message.deadline);
  if (now >= deadline) {
    // Keep the platform's own error code when there was one: that is what the user needs to see.
    return {
      row,
      changes: {
        status: "Failed", finishedAt: now, errorCode: row.errorCode ?? "DeadlineExceeded", dueAt: undefined,
        errorMessage: `the request deadline ${deadline.toISOString()} passed before the ${message.action} could be completed${row.errorCode ? `; last error ${row.errorCode}: ${row.errorMessage}` : ""}`,
      },
    };
  }
  let admission = deps.backpressure.admit(row, now.getTime());
  for (let waited = 0; !admission.go; ) {
    const pause = Math.max(admission.waitSeconds, 0.05);
    if (waited + pause > MAX_INLINE_WAIT_SECONDS) break;
    await deps.clock.sleep(pause);
    waited += pause;
    now = deps.clock.now();
    admission = deps.backpressure.admit(row, now.getTime());
  }
  if (!admission.go) {
    // Not now: same attempt, later. No call was made, so nothing is counted.
    const dueAt = new Date(now.getTime() + admission.waitSeconds * 1000);
    return { row, changes: { dueAt, note: `waiting until ${dueAt.toISOString()}: ${admission.reason}` } };
  }
  let remaining;
  try {
    remaining = await deps.compute.requestPowerAction({ subscriptionId: row.subscriptionId, resourceGroup: row.resourceGroup, name: row.name }, message.action);
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    return { row, changes: retryOrFail(deps, row, error.failure, deadline) };
  }
  deps.backpressure.afterCall(row, remaining, deps.clock.now().getTime());
  return { row, changes: { status: "Acting", actedAt: now, attempt: row.attempt + 1, dueAt: undefined } };
}

/**
 * Azure accepted the call but the row's etag moved meanwhile (a sweep re-kicking an overdue row touches
 * its dueAt). Losing that race must not lose the call, or the next message would call again.
 */
async function recordAcceptedAgain(deps: EngineDeps, accepted: RowWrite): Promise<void> {
  const { row, changes } = accepted;
  for (let tries = 0; tries < 5; tries++) {
    const current = await deps.store.getVmRow(row.requestId, row.key);
    // Somebody else recorded this attempt (or moved past it): nothing left to do.
    if (!current || current.attempt !== row.attempt || (current.status !== "Pending" && current.status !== "Waiting")) return;
    if (await deps.store.updateVmRow(current, changes)) return;
  }
}

/**
 * After a failed attempt (the call was refused, or the operation ended Failed): the row change that
 * waits and tries again, or records the failure with a reason. Shared by the act step and the sweep.
 */
export function retryOrFail(deps: EngineDeps, row: VmRecord, failure: ArmFailure, deadline: Date): Partial<VmRecord> {
  const now = deps.clock.now();
  const attemptsMade = row.status === "Acting" ? row.attempt : row.attempt + 1;
  deps.backpressure.afterFailure(row, failure, now.getTime());
  const decision = decideRetry(failure, attemptsMade, now, deadline, deps.settings.retry, deps.random, {
    domainFailing: deps.backpressure.domainFailing(row),
  });
  if (!decision.retry) {
    return { status: "Failed", finishedAt: now, attempt: attemptsMade, errorCode: failure.code, errorMessage: decision.reason, dueAt: undefined };
  }
  return {
    status: "Waiting", attempt: attemptsMade, dueAt: new Date(now.getTime() + decision.afterSeconds * 1000),
    errorCode: failure.code, errorMessage: failure.message, note: `${decision.failureClass} error; retrying after ${decision.afterSeconds}s`,
  };
}
