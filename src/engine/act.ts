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

/** Handles an act message: every VM in it on its own (one VM's failure never holds up the others). */
export async function actOnVms(deps: EngineDeps, message: ActMessage): Promise<void> {
  await mapWithConcurrency(message.vms, VMS_IN_PARALLEL, (vm) => actOnVm(deps, message, vm));
}

async function actOnVm(deps: EngineDeps, message: ActMessage, vm: ActMessage["vms"][number]): Promise<void> {
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
    await deferAct(deps, row, message, admission.waitSeconds, admission.reason);
    return;
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
  await deps.store.updateVmRow(row, { status: "Acting", actedAt: now, attempt: row.attempt + 1, dueAt: undefined });
}

/** Not now (budget low, or the breaker is open): same attempt, later. No call was made, so nothing is counted. */
async function deferAct(deps: EngineDeps, row: VmRecord, message: ActMessage, waitSeconds: number, reason: string): Promise<void> {
  const dueAt = new Date(deps.clock.now().getTime() + waitSeconds * 1000);
  const updated = await deps.store.updateVmRow(row, { dueAt, note: `waiting until ${dueAt.toISOString()}: ${reason}` });
  if (updated) await sendActs(deps, { requestId: row.requestId, action: message.action, deadline: new Date(message.deadline) }, [updated]);
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
