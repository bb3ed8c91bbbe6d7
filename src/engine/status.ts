/**
 * What GET /api/requests/{id} answers: derived from the request row and the VM rows every time, so it is
 * true even while the run is in progress, and terminal only when every VM is.
 */
import { countStatuses, summarizeRun, VM_OUTCOMES, type RequestState, type RunCounts } from "../domain/runState";
import type { EngineDeps } from "./ports";
import type { ScopeError, VmRecord } from "./records";

export const STATUS_FILTERS = [...VM_OUTCOMES, "InProgress"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export interface StatusQuery {
  outcome?: StatusFilter;
  top: number;
  /** Opaque continuation: the key of the last VM of the previous page. */
  after?: string;
}

export interface VmStatusView {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  /** A final outcome, or InProgress. */
  outcome: StatusFilter;
  /** While in progress: Pending (queued), Acting (accepted by Azure, being verified) or Waiting (retry scheduled). */
  step?: string;
  powerState?: string;
  attempts: number;
  errorCode?: string;
  errorMessage?: string;
  note?: string;
  actedAt?: string;
  finishedAt?: string;
}

export interface RequestStatusView {
  requestId: string;
  action: string;
  state: RequestState;
  createdAt: string;
  deadline: string;
  completedAt?: string;
  message?: string;
  counts: RunCounts;
  scopeErrors: ScopeError[];
  vms: VmStatusView[];
  /** Present when more VMs match: pass it back as `continuationToken`. */
  continuationToken?: string;
}

export async function readStatus(deps: EngineDeps, requestId: string, query: StatusQuery): Promise<RequestStatusView | undefined> {
  const record = await deps.store.getRequest(requestId);
  if (!record) return undefined;
  const rows = record.stage === "accepted" ? [] : await deps.store.listVmRows(requestId);
  const counts = countStatuses(rows.map((r) => r.status));
  const state = record.stage === "completed" ? record.state : summarizeRun(record.stage !== "accepted", counts, record.scopeErrors.length);
  const matching = rows
    .filter((r) => !query.outcome || outcomeOf(r) === query.outcome)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .filter((r) => !query.after || r.key > query.after);
  const page = matching.slice(0, query.top);
  return {
    requestId,
    action: record.action,
    state,
    createdAt: record.createdAt.toISOString(),
    deadline: record.deadline.toISOString(),
    completedAt: record.completedAt?.toISOString(),
    message: record.message ?? (record.stage === "accepted" ? "Waiting for the orchestrator to expand the scopes." : undefined),
    counts,
    scopeErrors: record.scopeErrors,
    vms: page.map(toView),
    continuationToken: matching.length > page.length ? page[page.length - 1]!.key : undefined,
  };
}

function outcomeOf(row: VmRecord): StatusFilter {
  return (VM_OUTCOMES as readonly string[]).includes(row.status) ? (row.status as StatusFilter) : "InProgress";
}

function toView(row: VmRecord): VmStatusView {
  return {
    id: row.id,
    name: row.name,
    subscriptionId: row.subscriptionId,
    resourceGroup: row.resourceGroup,
    location: row.location,
    outcome: outcomeOf(row),
    step: outcomeOf(row) === "InProgress" ? row.status : undefined,
    powerState: row.powerState ? `PowerState/${row.powerState}` : undefined,
    attempts: row.attempt,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    note: row.note,
    actedAt: row.actedAt?.toISOString(),
    finishedAt: row.finishedAt?.toISOString(),
  };
}
