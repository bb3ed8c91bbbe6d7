/**
 * Power-state rules: what "done" means for each action. A run is judged by the state a VM *reached*,
 * not by whether a call was accepted (v2's weakness).
 */
import { doneStates, transitionalPowerState, type PowerAction } from "../targets/powerAction";

/** Instance-view power states, without the "PowerState/" prefix (docs/azure-facts.md#power-states-and-lros). */
export type PowerState = "starting" | "running" | "stopping" | "stopped" | "deallocating" | "deallocated" | "unknown";

const KNOWN: ReadonlySet<string> = new Set(["starting", "running", "stopping", "stopped", "deallocating", "deallocated"]);

/** Reads "PowerState/running" (any casing) from an instance view's status codes. */
export function powerStateFromStatusCodes(codes: readonly (string | undefined)[]): PowerState | undefined {
  for (const code of codes) {
    if (!code) continue;
    const [kind, value] = code.split("/");
    if (kind?.toLowerCase() === "powerstate" && value) {
      const state = value.toLowerCase();
      return KNOWN.has(state) ? (state as PowerState) : "unknown";
    }
  }
  return undefined;
}

export function hasReachedTarget(action: PowerAction, state: PowerState | undefined): boolean {
  return state !== undefined && (doneStates(action) as readonly string[]).includes(state);
}

/**
 * A VM already heading to the target (e.g. "starting" for a start) needs no call: we only verify it.
 * Calling again would at best be a no-op and at worst a 409 Conflict.
 */
export function isInTransitionToTarget(action: PowerAction, state: PowerState | undefined): boolean {
  return state === transitionalPowerState(action);
}

/** A hibernated VM reports `HibernationState/Hibernated` beside `PowerState/deallocated` (docs/azure-facts.md#hibernation). */
export function isHibernatedFromStatusCodes(codes: readonly (string | undefined)[]): boolean {
  return codes.some((code) => code?.toLowerCase() === "hibernationstate/hibernated");
}

export function formatPowerState(state: PowerState | undefined): string {
  return state ? `PowerState/${state}` : "an unknown power state";
}
