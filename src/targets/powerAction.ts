/**
 * The power actions the app sends, as one closed union (docs/targets.md). A request's v2 `Action` is start or
 * stop; a stop becomes one of three actions per target. Everything that differs per action is an exhaustive switch
 * here, so no code reads "not start" as "deallocate". Pure; the states named are instance-view power states
 * (src/domain/power.ts).
 */
export type PowerAction = "start" | "deallocate" | "hibernate" | "powerOff";

/** How a stop stops (the body's `StopMode`, the tag `startstop-stopmode`). */
export type StopMode = Exclude<PowerAction, "start">;

/** The v2 request `Action`. */
export type RequestAction = "start" | "stop";

export const STOP_MODES: readonly StopMode[] = ["deallocate", "hibernate", "powerOff"];

/** The Compute throttling policy an action spends (docs/azure-facts.md#compute-throttling). */
export type ComputePolicy = "UpdateVM" | "DeleteVM";

/** Compile-time proof that a switch covered every case; at run time it names the value it did not expect. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** The action a target gets for a request: start, or the stop mode that applies to it. */
export function powerActionFor(action: RequestAction, stopMode: StopMode): PowerAction {
  switch (action) {
    case "start":
      return "start";
    case "stop":
      return stopMode;
    default:
      return assertNever(action, "request action");
  }
}

/** The power state that means done. Hibernation ends deallocated (and says Hibernated); powerOff ends stopped. */
export function targetPowerState(action: PowerAction): "running" | "deallocated" | "stopped" {
  switch (action) {
    case "start":
      return "running";
    case "deallocate":
    case "hibernate":
      return "deallocated";
    case "powerOff":
      return "stopped";
    default:
      return assertNever(action, "power action");
  }
}

/**
 * The power states in which the action is done. A powerOff is also done by a deallocated VM (it is off, and not
 * billed): powering it off would be a call for nothing, and waiting for "stopped" would never end.
 */
export function doneStates(action: PowerAction): readonly ("running" | "deallocated" | "stopped")[] {
  switch (action) {
    case "start":
      return ["running"];
    case "deallocate":
    case "hibernate":
      return ["deallocated"];
    case "powerOff":
      return ["stopped", "deallocated"];
    default:
      return assertNever(action, "power action");
  }
}

/** The state a target passes through on its way: a target already in it needs no call, only verifying. */
export function transitionalPowerState(action: PowerAction): "starting" | "deallocating" | "stopping" {
  switch (action) {
    case "start":
      return "starting";
    case "deallocate":
    case "hibernate":
      return "deallocating";
    case "powerOff":
      return "stopping";
    default:
      return assertNever(action, "power action");
  }
}

/** Start and powerOff are "Update VM" operations; deallocate (with or without hibernate) is a "Delete VM" one. */
export function computePolicyOf(action: PowerAction): ComputePolicy {
  switch (action) {
    case "start":
    case "powerOff":
      return "UpdateVM";
    case "deallocate":
    case "hibernate":
      return "DeleteVM";
    default:
      return assertNever(action, "power action");
  }
}

/** The verb in an outcome or a note: "start", "deallocate", "hibernate", "power off". */
export function verbOf(action: PowerAction): string {
  switch (action) {
    case "start":
    case "deallocate":
    case "hibernate":
      return action;
    case "powerOff":
      return "power off";
    default:
      return assertNever(action, "power action");
  }
}

/** WhatIf's plan for a target that will be called. */
export function plannedCallOf(action: PowerAction): "WillStart" | "WillDeallocate" | "WillHibernate" | "WillPowerOff" {
  switch (action) {
    case "start":
      return "WillStart";
    case "deallocate":
      return "WillDeallocate";
    case "hibernate":
      return "WillHibernate";
    case "powerOff":
      return "WillPowerOff";
    default:
      return assertNever(action, "power action");
  }
}

/** What a run's VMs end as when every stop is of this mode; for a start: running. */
export function outcomeWord(action: PowerAction): string {
  switch (action) {
    case "start":
      return "running";
    case "deallocate":
      return "deallocated";
    case "hibernate":
      return "hibernated or deallocated";
    case "powerOff":
      return "stopped (still allocated and billed)";
    default:
      return assertNever(action, "power action");
  }
}

/** The warning WhatIf and the status give for an action that leaves compute billed; undefined for the others. */
export function billingWarning(action: PowerAction): string | undefined {
  switch (action) {
    case "powerOff":
      return "powerOff stops the VM without deallocating it: its compute is still charged (use deallocate or hibernate to stop paying for it)";
    case "start":
    case "deallocate":
    case "hibernate":
      return undefined;
    default:
      return assertNever(action, "power action");
  }
}

export function isStopMode(value: string): value is StopMode {
  return (STOP_MODES as readonly string[]).includes(value);
}

/** Reads a stop mode as written in a body or a tag ("powerOff", "PowerOff", " hibernate "): undefined if it is none. */
export function readStopMode(raw: string): StopMode | undefined {
  const wanted = raw.trim().toLowerCase();
  return STOP_MODES.find((mode) => mode.toLowerCase() === wanted);
}

/**
 * The desired-state record's word for what a request wants (src/engine/desiredState.ts): "running" after a start,
 * "deallocated" after any stop. The record is about on versus off — which stop a VM got is on its run's row.
 */
export function desiredStateOf(action: RequestAction): "running" | "deallocated" {
  switch (action) {
    case "start":
      return "running";
    case "stop":
      return "deallocated";
    default:
      return assertNever(action, "request action");
  }
}
