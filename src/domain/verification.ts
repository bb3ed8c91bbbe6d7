/**
 * Judging a VM whose power action Azure accepted: has it reached the target, did the operation fail,
 * or is it still on its way? Pure; the sweep applies the verdicts.
 */
import type { ArmFailure } from "./armError";
import { formatPowerState, hasReachedTarget, type PowerState } from "./power";
import { targetPowerState, type PowerAction } from "../targets/powerAction";

export interface ObservedVmStatus {
  powerState?: PowerState;
  /** `HibernationState/Hibernated` was among the statuses (a hibernated VM is also `PowerState/deallocated`). */
  hibernated?: boolean;
  /** From `ProvisioningState/failed/<code>` in the instance view. */
  provisioningFailure?: { code: string; message: string; time?: Date };
}

export type Verdict =
  | { kind: "reached"; powerState: PowerState; hibernated: boolean }
  | { kind: "operationFailed"; failure: ArmFailure }
  | { kind: "gone" }
  | { kind: "deadlinePassed"; message: string }
  | { kind: "stillGoing" };

export function judgeActingVm(input: {
  action: PowerAction;
  actedAt: Date;
  deadline: Date;
  now: Date;
  /** undefined = the VM was not in the listing (deleted). */
  observed: ObservedVmStatus | undefined;
}): Verdict {
  const { observed } = input;
  if (!observed) return { kind: "gone" };
  if (hasReachedTarget(input.action, observed.powerState)) {
    return { kind: "reached", powerState: observed.powerState!, hibernated: observed.hibernated === true };
  }
  const failure = observed.provisioningFailure;
  // A failure recorded before our call belongs to an earlier operation; only a newer one is ours.
  if (failure && (!failure.time || failure.time.getTime() >= input.actedAt.getTime())) {
    // status 200: the operation itself was answered; its *result* failed, so only the code classifies it.
    return { kind: "operationFailed", failure: { status: 200, code: failure.code, message: failure.message } };
  }
  if (input.now.getTime() >= input.deadline.getTime()) {
    return {
      kind: "deadlinePassed",
      message: `did not reach ${formatPowerState(targetPowerState(input.action))} by the request deadline ${input.deadline.toISOString()}; last seen in ${formatPowerState(observed.powerState)}`,
    };
  }
  return { kind: "stillGoing" };
}
