/**
 * VM power model and long-running operations. Pure logic: state is evaluated
 * lazily against a given simulated `now`, so 20,000 idle VMs cost nothing.
 */
import type { SettledPowerState, VmSeed } from "./fleet";

export type PowerState = SettledPowerState | "starting" | "stopping" | "deallocating";
/** `hibernate` is a deallocate sent with `?hibernate=true` (one route, its own kind here). */
export type ActionKind = "start" | "deallocate" | "hibernate" | "powerOff" | "restart" | "simulateEviction";
export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

export interface HistoryEntry {
  /** Simulated epoch ms at which the VM entered this state. */
  time: number;
  powerState: PowerState;
}

export interface OperationError {
  code: string;
  message: string;
}

export interface Operation {
  id: string;
  kind: ActionKind;
  vm: SimVm;
  startTime: number;
  endTime: number;
  /** Power state before the action; restored if the operation fails. */
  from: SettledPowerState;
  transitional: PowerState;
  target: SettledPowerState;
  /** Already in target state: completes without a visible transition. */
  noop: boolean;
  /** Set when the operation is going to (or did) end Failed. */
  error?: OperationError;
}

export interface SimVm extends VmSeed {
  id: string;
  key: string;
  vmId: string;
  /** Last settled power state (valid when `current` is undefined). */
  settled: SettledPowerState;
  provisioningState: "Succeeded" | "Failed";
  failure?: OperationError & { time: number };
  current?: Operation;
  history: HistoryEntry[];
  /** The last deallocate was a hibernate: the instance view says HibernationState/Hibernated until the next start. */
  hibernated?: boolean;
  /** Requests per operation kind, for `firstAttemptOnly` faults. */
  attempts?: Map<string, number>;
}

const TRANSITIONS: Record<ActionKind, { from: ReadonlySet<SettledPowerState>; transitional: PowerState; target: SettledPowerState }> = {
  start: { from: new Set(["deallocated", "stopped"]), transitional: "starting", target: "running" },
  deallocate: { from: new Set(["running", "stopped"]), transitional: "deallocating", target: "deallocated" },
  hibernate: { from: new Set(["running"]), transitional: "deallocating", target: "deallocated" },
  powerOff: { from: new Set(["running"]), transitional: "stopping", target: "stopped" },
  restart: { from: new Set(["running"]), transitional: "starting", target: "running" },
  simulateEviction: { from: new Set(["running"]), transitional: "deallocating", target: "deallocated" },
};

/** Completes the VM's operation if its end time has passed (recording history at endTime, not at look time). */
export function settle(vm: SimVm, now: number): void {
  const op = vm.current;
  if (!op || op.endTime > now) return;
  vm.current = undefined;
  if (op.error) {
    vm.provisioningState = "Failed";
    vm.failure = { ...op.error, time: op.endTime };
    vm.settled = op.from;
    if (!op.noop) vm.history.push({ time: op.endTime, powerState: op.from });
    return;
  }
  vm.provisioningState = "Succeeded";
  vm.failure = undefined;
  vm.settled = op.target;
  // A hibernate that changed state leaves the VM hibernated; any other change (a start, a plain deallocate) ends it.
  if (!op.noop) vm.hibernated = op.kind === "hibernate";
  if (!op.noop) vm.history.push({ time: op.endTime, powerState: op.target });
}

export function powerStateOf(vm: SimVm, now: number): PowerState {
  settle(vm, now);
  const op = vm.current;
  return op && !op.noop ? op.transitional : vm.settled;
}

/** ARM's provisioningState: Updating while an operation runs. */
export function provisioningStateOf(vm: SimVm, now: number): "Succeeded" | "Failed" | "Updating" {
  settle(vm, now);
  return vm.current ? "Updating" : vm.provisioningState;
}

export function operationStatus(op: Operation, now: number): OperationStatus {
  if (op.endTime > now) return "InProgress";
  if (op.error?.code === "OperationPreempted") return "Canceled";
  return op.error ? "Failed" : "Succeeded";
}

export type ActionOutcome =
  | { kind: "accepted"; op: Operation; existing: boolean }
  | { kind: "conflict"; message: string }
  | { kind: "notAllowed"; message: string };

export interface ActionRequest {
  vm: SimVm;
  action: ActionKind;
  now: number;
  newId: () => string;
  /** Simulated ms the operation will take if it really changes state. */
  durationMs: number;
  /** From an `operationFails` fault: the operation ends Failed with this error. */
  fails?: OperationError;
}

/**
 * Why `action` cannot begin on `vm` now (a conflict with the operation in progress, or an action the VM does not
 * allow), without changing anything; undefined when it can (or when the same action is already in progress). A
 * batched scale-set call asks this of every instance first, so it is refused whole or applied whole.
 */
export function refusalOf(vm: SimVm, action: ActionKind, now: number): Exclude<ActionOutcome, { kind: "accepted" }> | undefined {
  settle(vm, now);
  const running = vm.current;
  let from: SettledPowerState = vm.settled;
  if (running) {
    if (running.kind === action || (action === "deallocate" && running.kind === "simulateEviction")) return undefined;
    const preemptable = action === "deallocate" && (running.kind === "start" || running.kind === "restart");
    if (!preemptable) {
      return {
        kind: "conflict",
        message: `Operation '${action}' is not allowed since the VM '${vm.name}' is marked for '${running.kind}' operation in progress (${running.id}). Retry after it completes.`,
      };
    }
    from = running.from;
  }
  if (action === "simulateEviction" && (vm.priority === "Regular" || from !== "running")) {
    return {
      kind: "notAllowed",
      message: vm.priority === "Regular"
        ? `Simulate eviction is only supported for Spot virtual machines; '${vm.name}' has priority 'Regular'.`
        : `Simulate eviction requires a running Spot VM; '${vm.name}' is ${from}.`,
    };
  }
  if (action === "hibernate" && !vm.hibernationEnabled) {
    return { kind: "notAllowed", message: `Hibernation is not enabled on the virtual machine '${vm.name}'; enable it with additionalCapabilities.hibernationEnabled before hibernating.` };
  }
  if (action === "hibernate" && from === "stopped") {
    return { kind: "notAllowed", message: `Cannot hibernate the virtual machine '${vm.name}' because it is not running (it is stopped).` };
  }
  if (action === "restart" && from !== "running") {
    return { kind: "notAllowed", message: `Cannot restart the VM '${vm.name}' because it is not running (it is ${from}).` };
  }
  return undefined;
}

/**
 * Applies a power action. Same action in progress → the existing operation
 * (idempotent like Azure); deallocate preempts a running start (as Azure does);
 * anything else during an operation → conflict.
 */
export function beginAction(req: ActionRequest): ActionOutcome {
  const { vm, action, now } = req;
  settle(vm, now);
  const rule = TRANSITIONS[action];
  const running = vm.current;
  if (running && (running.kind === action || (action === "deallocate" && running.kind === "simulateEviction"))) {
    return { kind: "accepted", op: running, existing: true };
  }
  const refused = refusalOf(vm, action, now);
  if (refused) return refused;
  let from: SettledPowerState = vm.settled;
  if (running) {
    running.endTime = now;
    running.error = { code: "OperationPreempted", message: "Operation execution has been preempted by a more recent operation." };
    vm.current = undefined;
    from = running.from;
  }
  // powerOff on a deallocated VM is already "off": treat like the target state.
  const noop = !rule.from.has(from) && !running;
  const op: Operation = {
    id: req.newId(),
    kind: action,
    vm,
    startTime: now,
    endTime: noop && !req.fails ? now : now + req.durationMs,
    from,
    transitional: rule.transitional,
    target: noop ? from : rule.target,
    noop,
    error: req.fails,
  };
  vm.current = op;
  if (!noop) vm.history.push({ time: now, powerState: rule.transitional });
  settle(vm, now);
  return { kind: "accepted", op, existing: false };
}
