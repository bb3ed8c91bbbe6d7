/**
 * Writes a request's final state once every VM has an outcome. Called by whoever records the last one;
 * harmless when called twice (the state is derived from the rows, and a completed request is left alone).
 */
import { countStatuses, summarizeRun, isTerminalRequestState } from "../domain/runState";
import type { EngineDeps } from "./ports";

export async function finalizeIfComplete(deps: EngineDeps, requestId: string): Promise<void> {
  const record = await deps.store.getRequest(requestId);
  if (!record || record.stage === "completed" || record.stage === "accepted") return;
  const rows = await deps.store.listVmRows(requestId);
  const counts = countStatuses(rows.map((r) => r.status));
  const halt = record.sequence?.haltedBy;
  const state = summarizeRun(true, counts, record.scopeErrors.length, halt !== undefined);
  if (!isTerminalRequestState(state)) return;
  const outcome = describeOutcome(record.action, counts, record.scopeErrors.length);
  const message = halt
    ? `The sequence stopped at group ${halt.group}: ${halt.vmId} failed with ${halt.code}: ${halt.message}. Later groups were not started (set ContinueOnError to carry on). ${outcome}`
    : outcome;
  await deps.store.updateRequest(record, { stage: "completed", state, completedAt: deps.clock.now(), message });
}

export function describeOutcome(action: string, counts: ReturnType<typeof countStatuses>, scopeErrors: number): string {
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
