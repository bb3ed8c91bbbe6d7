/**
 * Which stop a target gets: its tag `startstop-stopmode` beats the request's `StopMode`, and a hibernate the VM
 * cannot do is planned as a deallocate that says why (docs/targets.md#stop-modes). Pure.
 */
import { tagValue } from "../domain/tags";
import { readStopMode, type StopMode } from "./powerAction";

export const STOP_MODE_TAG = "startstop-stopmode";

/** The platform's name for a hibernate that could not happen, kept in the VM's outcome. */
export const HIBERNATE_UNAVAILABLE = "HibernateUnavailable";

export interface StopModeChoice {
  mode: StopMode;
  /** Set when the VM's own tag chose it, or when a bad tag was ignored. */
  note?: string;
  /** A hibernate that became a deallocate before any call: the reason, for the outcome. */
  fallback?: { code: typeof HIBERNATE_UNAVAILABLE; message: string };
}

export function chooseStopMode(requested: StopMode, target: { tags: Record<string, string>; hibernationEnabled?: boolean; powerState?: string }): StopModeChoice {
  const raw = tagValue(target.tags, STOP_MODE_TAG);
  const tagged = raw === undefined ? undefined : readStopMode(raw);
  const mode = tagged ?? requested;
  const note = raw === undefined ? undefined
    : tagged ? `stop mode ${tagged} from tag ${STOP_MODE_TAG}`
    : `tag ${STOP_MODE_TAG}=${JSON.stringify(raw.slice(0, 40))} is not deallocate, hibernate or powerOff; used the request's ${requested}`;
  if (mode === "hibernate" && target.hibernationEnabled !== true) {
    return {
      mode: "deallocate", note,
      fallback: { code: HIBERNATE_UNAVAILABLE, message: "hibernation is not enabled on this VM (additionalCapabilities.hibernationEnabled is not true); deallocated instead" },
    };
  }
  // Only a running guest has memory to save: a VM stopped (powered off, still allocated) is deallocated instead.
  if (mode === "hibernate" && target.powerState === "stopped") {
    return {
      mode: "deallocate", note,
      fallback: { code: HIBERNATE_UNAVAILABLE, message: "the VM is stopped (powered off), not running, so there is nothing to hibernate; deallocated instead" },
    };
  }
  return { mode, note };
}

/**
 * Whether a failed hibernate should become a deallocate: yes when the platform refused it for the VM (a 4xx such as
 * OperationNotAllowed: hibernation not enabled, not supported for its size or OS) or the hibernate operation itself
 * failed; no when the refusal was about the moment (throttled, a conflicting operation, a server error), which a
 * retry of the same hibernate fixes.
 */
export function hibernateFallback(failure: { status?: number; code: string; message: string }): { then: "deallocate"; code: typeof HIBERNATE_UNAVAILABLE; message: string } | undefined {
  const status = failure.status;
  const momentary = status === undefined || status === 429 || status === 408 || status >= 500 || (status === 409 && failure.code.toLowerCase() === "conflict");
  if (momentary) return undefined;
  const how = status === 200 ? "the hibernate operation failed" : `Azure refused the hibernate (HTTP ${status})`;
  return { then: "deallocate", code: HIBERNATE_UNAVAILABLE, message: `${how} with ${failure.code}: ${failure.message}; deallocated instead` };
}
