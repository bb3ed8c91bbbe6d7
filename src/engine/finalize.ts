/**
 * Writes a request's final state once every VM has an outcome. Called by whoever records the last one;
 * harmless when called twice (the state is derived from the rows, and a completed request is left alone).
 */
import { countStatuses, summarizeRun, isTerminalRequestState, type RunCounts } from "../domain/runState";
import type { EngineDeps, FinishedRequest } from "./ports";
import type { RequestRecord, VmRecord } from "./records";
import { domainName } from "./backpressure";
import { outcomeWord, powerActionFor } from "../targets/powerAction";

export async function finalizeIfComplete(deps: EngineDeps, requestId: string): Promise<void> {
  const record = await deps.store.getRequest(requestId);
  if (!record || record.stage === "completed" || record.stage === "accepted") return;
  // Every sweep that finishes calls this, often at the same moment: read statuses only, not whole rows.
  const counts = countStatuses(await deps.store.listVmStatuses(requestId));
  const state = summarizeRun(true, counts, record.scopeErrors.length, record.sequence?.haltedBy !== undefined);
  if (!isTerminalRequestState(state)) return;
  // Only a run with failures pays for reading its rows: to say what failed, grouped by error and failure domain.
  const failedRows = counts.Failed > 0 ? (await deps.store.listVmRows(requestId)).filter((r) => r.status === "Failed") : [];
  const message = finalMessage(record, counts, failedRows);
  const completed = await deps.store.updateRequest(record, { stage: "completed", state, completedAt: deps.clock.now(), message });
  if (!completed) return;
  await deps.store.removeOpenRequest(requestId);
  // One line per failed VM, tied to its run and VM: what an operator searches for in the logs.
  for (const row of failedRows) deps.log(`Request ${requestId}: ${row.name} failed with ${row.errorCode ?? "Failed"}: ${row.errorMessage ?? ""}`, { requestId, vmId: row.id });
  await tellListeners(deps, { requestId, action: record.action, state, message, counts, ...failureDigest(failedRows) });
}

/** Only the caller whose update completed the row gets here, so each listener hears of a request once. */
async function tellListeners(deps: EngineDeps, finished: FinishedRequest): Promise<void> {
  await Promise.all(
    deps.finishedListeners.map((listener) =>
      listener.requestFinished(finished).catch((err: unknown) => deps.log(`request ${finished.requestId}: a finished-request listener failed: ${(err as Error).message}`, { requestId: finished.requestId })),
    ),
  );
}

export function failureDigest(failed: Pick<VmRecord, "id" | "errorCode" | "errorMessage">[]): Pick<FinishedRequest, "topErrorCodes" | "failedVms"> {
  const byCode = new Map<string, number>();
  for (const row of failed) byCode.set(row.errorCode ?? "Failed", (byCode.get(row.errorCode ?? "Failed") ?? 0) + 1);
  return {
    topErrorCodes: [...byCode].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([code, count]) => ({ code, count })),
    failedVms: failed.slice(0, 10).map((r) => ({ vmId: r.id, errorCode: r.errorCode ?? "Failed", message: r.errorMessage ?? "" })),
  };
}

/**
 * The sentence a finished request reports, with its failures grouped; the status API shows the same one before the
 * row is finalised.
 */
export function finalMessage(record: RequestRecord, counts: RunCounts, failedRows: Parameters<typeof summarizeFailures>[0] = []): string {
  const outcome = describeOutcome(outcomeWord(powerActionFor(record.action, record.request.stopMode ?? "deallocate")), counts, record.scopeErrors.length);
  const halt = record.sequence?.haltedBy;
  const sentence = halt
    ? `The sequence stopped at group ${halt.group}: ${halt.vmId} failed with ${halt.code}: ${halt.message}. Later groups were not started (set ContinueOnError to carry on). ${outcome}`
    : outcome;
  return failedRows.length > 0 ? `${sentence} Failures: ${summarizeFailures(failedRows)}.` : sentence;
}

/**
 * "3 PlatformOperationsFailing (Windows VMs in westeurope of subscription …), 1 AuthorizationFailed (rg-web/web-01)":
 * each error code once, with the failure domains (or, for a few VMs, their names) it hit.
 */
export function summarizeFailures(failed: Pick<VmRecord, "errorCode" | "osType" | "location" | "subscriptionId" | "resourceGroup" | "name">[]): string {
  const byCode = new Map<string, typeof failed>();
  for (const row of failed) {
    const code = row.errorCode ?? "Failed";
    byCode.set(code, [...(byCode.get(code) ?? []), row]);
  }
  return [...byCode]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([code, rows]) => {
      const where = rows.length <= 3
        ? rows.map((r) => `${r.resourceGroup}/${r.name}`)
        : [...new Set(rows.map((r) => domainName(r)))];
      return `${rows.length} ${code} (${where.slice(0, 5).join("; ")}${where.length > 5 ? "; …" : ""})`;
    })
    .join(", ");
}

/** `target`: what the run's VMs end as ("running", "deallocated", "hibernated or deallocated", …). */
function describeOutcome(target: string, counts: RunCounts, scopeErrors: number): string {
  const parts = [
    `${counts.Succeeded + counts.AlreadyInState} of ${counts.total - counts.Skipped - counts.Superseded} VMs ${target}`,
    `${counts.Succeeded} by this run`,
    `${counts.AlreadyInState} already were`,
  ];
  if (counts.Failed) parts.push(`${counts.Failed} failed`);
  if (counts.NotStarted) parts.push(`${counts.NotStarted} not started`);
  if (counts.Skipped) parts.push(`${counts.Skipped} skipped`);
  if (counts.Superseded) parts.push(`${counts.Superseded} superseded by a later request`);
  if (scopeErrors) parts.push(`${scopeErrors} scope(s) could not be read`);
  return parts.join("; ") + ".";
}
