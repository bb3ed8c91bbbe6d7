/** Which AutoStop run states are final (the status API and the executor agree on it). */
import type { AutoStopRunState } from "./autoStopStore";

export function isTerminalRunState(state: AutoStopRunState): boolean {
  return state === "Succeeded" || state === "PartiallySucceeded" || state === "Failed";
}
