/**
 * The executor's "act" step for one VM: send start or deallocate once per attempt, record that Azure
 * accepted it, and leave verification to the sweep. This is the only place a power action is sent.
 */
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { decideRetry } from "../domain/retryPolicy";
import { isTerminal } from "../domain/runState";
import type { EngineDeps } from "./ports";
import type { ActMessage, VmRecord } from "./records";
import { sendActs } from "./actMessages";
import { mapWithConcurrency } from "./concurrency";

const VMS_IN_PARALLEL = 16;

/**
 * Handles an act message: every VM in it on its own (one VM's failure never holds up the others). VMs
 * that must wait (budget spent, breaker open) go back together, in as few messages as possible.
 */
export async function actOnVms(deps: EngineDeps, message: ActMessage): Promise<void> {
  const deferred = await mapWithConcurrency(message.vms, VMS_IN_PARALLEL, (vm) => actOnVm(deps, message, vm));
  const waiting = deferred.filter((row): row is VmRecord => row !== undefined);
  if (waiting.length > 0) await sendActs(deps, { requestId: message.requestId, action: message.action, deadline: new Date(message.deadline) }, waiting);
}

/** Returns the row when the VM must wait (its dueAt moved); the caller sends it back. */
async function actOnVm(deps: EngineDeps, message: ActMessage, vm: ActMessage["vms"][number]): Promise<VmRecord | undefined> {
  const row = await deps.store.getVmRow(message.requestId, vm.key);
  // Idempotency: a duplicate or stale message finds the row already past this attempt.
  if (!row || isTerminal(row.status) || row.attempt !== vm.attempt || row.status === "Acting") return;
  const now = deps.clock.now();
  const deadline = new Date(message.deadline);
  if (now >= deadline) {
    // Keep the platform's own error code when there was one: that is what the user needs to see.
    await deps.store.updateVmRow(row, {
      status: "Failed", finishedAt: now, errorCode: row.errorCode ?? "DeadlineExceeded",
      errorMessage: `the request deadline ${deadline.toISOString()} passed before the ${message.action} could be completed${row.errorCode ? `; last error ${row.errorCode}: ${row.errorMessage}` : ""}`,
    });
    return;
  }
  const admission = deps.backpressure.admit(row, now.getTime());
  if (!admission.go) {
    // Not now: same attempt, later. No call was made, so nothing is counted.
    const dueAt = new Date(now.getTime() + admission.waitSeconds * 1000);
    return deps.store.updateVmRow(row, { dueAt, note: `waiting until ${dueAt.toISOString()}: ${admission.reason}` });
  }
  let remaining;
  try {
    remaining = await deps.compute.requestPowerAction({ subscriptionId: row.subscriptionId, resourceGroup: row.resourceGroup, name: row.name }, message.action);
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    await scheduleRetryOrFail(deps, row, error.failure, message.action, deadline);
    return;
  }
  deps.backpressure.afterCall(row, remaining, now.getTime());
  await recordAccepted(deps, row, now);
}

/**
 * Azure accepted the call: record it. The etag may have moved meanwhile (a sweep re-kicking an overdue
 * row touches its dueAt); losing that race must not lose the call, or the next message would call again.
 */
async function recordAccepted(deps: EngineDeps, row: VmRecord, actedAt: Date): Promise<void> {
  let current: VmRecord | undefined = row;
  for (let tries = 0; current && tries < 5; tries++) {
    if (await deps.store.updateVmRow(current, { status: "Acting", actedAt, attempt: row.attempt + 1, dueAt: undefined })) return;
    current = await deps.store.getVmRow(row.requestId, row.key);
    // Somebody else recorded this attempt (or moved past it): nothing left to do.
    if (!current || current.attempt !== row.attempt || (current.status !== "Pending" && current.status !== "Waiting")) return;
  }
}

/**
 * After a failed attempt (the call was refused, or the operation ended Failed): wait and try again,
 * or record the failure with a reason. Shared by the act step and the sweep.
 */
export async function scheduleRetryOrFail(
  deps: EngineDeps, row: VmRecord, failure: ArmFailure, action: ActMessage["action"], deadline: Date,
): Promise<VmRecord | undefined> {
  const now = deps.clock.now();
  const attemptsMade = row.status === "Acting" ? row.attempt : row.attempt + 1;
  deps.backpressure.afterFailure(row, failure, now.getTime());
  const decision = decideRetry(failure, attemptsMade, now, deadline, deps.settings.retry, deps.random, {
    domainFailing: deps.backpressure.domainFailing(row),
  });
  if (!decision.retry) {
    return deps.store.updateVmRow(row, {
      status: "Failed", finishedAt: now, attempt: attemptsMade, errorCode: failure.code,
      errorMessage: decision.reason, dueAt: undefined,
    });
  }
  const dueAt = new Date(now.getTime() + decision.afterSeconds * 1000);
  const updated = await deps.store.updateVmRow(row, {
    status: "Waiting", attempt: attemptsMade, dueAt, errorCode: failure.code, errorMessage: failure.message,
    note: `${decision.failureClass} error; retrying after ${decision.afterSeconds}s`,
  });
  if (updated) await sendActs(deps, { requestId: row.requestId, action, deadline }, [updated]);
  return updated;
}
