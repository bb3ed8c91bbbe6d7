/**
 * Writes a request's final state once every VM has an outcome. Called by whoever records the last one;
 * harmless when called twice (the state is derived from the rows, and a completed request is left alone).
 */
import { countStatuses, summarizeRun, isTerminalRequestState, type RunCounts } from "../domain/runState";
import type { EngineDeps } from "./ports";
import type { RequestRecord } from "./records";

export async function finalizeIfComplete(deps: EngineDeps, requestId: string): Promise<void> {
  const record = await deps.store.getRequest(requestId);
  if (!record || record.stage === "completed" || record.stage === "accepted") return;
  // Every sweep that finishes calls this, often at the same moment: read statuses only, not whole rows.
  const counts = countStatuses(await deps.store.listVmStatuses(requestId));
  const state = summarizeRun(true, counts, record.scopeErrors.length, record.sequence?.haltedBy !== undefined);
  if (!isTerminalRequestState(state)) return;
  await deps.store.updateRequest(record, { stage: "completed", state, completedAt: deps.clock.now(), message: finalMessage(record, counts) });
}

/** The sentence a finished request reports; the status API shows the same one before the row is finalised. */
export function finalMessage(record: RequestRecord, counts: RunCounts): string {
  const outcome = describeOutcome(record.action, counts, record.scopeErrors.length);
  const halt = record.sequence?.haltedBy;
  return halt
    ? `The sequence stopped at group ${halt.group}: ${halt.vmId} failed with ${halt.code}: ${halt.message}. Later groups were not started (set ContinueOnError to carry on). ${outcome}`
    : outcome;
}

function describeOutcome(action: string, counts: RunCounts, scopeErrors: number): string {
  const target = action === "start" ? "running" : "deallocated";
  const parts = [
    `${counts.Succeeded + counts.AlreadyInState} of ${counts.total - counts.Skipped} VMs ${target}`,
    `${counts.Succeeded} by this run`,
    `${counts.AlreadyInState} already were`,
  ];
  if (counts.Failed) parts.push(`${counts.Failed} failed`);
  if (counts.NotStarted) parts.push(`${counts.NotStarted} not started`);
  if (counts.Skipped) parts.push(`${counts.Skipped} skipped`);
  if (scopeErrors) parts.push(`${scopeErrors} scope(s) could not be read`);
  return parts.join("; ") + ".";
}
