/**
 * What GET /api/requests/{id} answers: derived from the request row and the VM rows every time, so it is
 * true even while the run is in progress, and terminal only when every VM is.
 */
import { billingWarning } from "../targets/powerAction";
import { describeKind } from "../targets/targetKind";
import { countStatuses, isTerminal, isTerminalRequestState, summarizeRun, VM_OUTCOMES, type RequestState, type RunCounts } from "../domain/runState";
import { finalMessage } from "./finalize";
import type { EngineDeps } from "./ports";
import type { ScopeError, SequenceState, VmRecord } from "./records";

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
  /** While in progress: Held (its group is not released yet), Pending (queued), Acting (accepted by Azure, being verified) or Waiting (retry scheduled). */
  step?: string;
  /** Sequenced runs: the VM's group (its tag value). */
  group?: number;
  powerState?: string;
  /** The power action planned for the VM: start, deallocate, hibernate or powerOff. */
  powerAction?: string;
  /** "VM" or "member of Flexible scale set …". */
  kind?: string;
  /** HibernationState/Hibernated was reported when the VM was verified. */
  hibernated?: boolean;
  /** A stop mode that could not be used (HibernateUnavailable) and the platform's reason; the VM was deallocated. */
  fallback?: { code: string; message?: string };
  /** Said for a powerOff: the VM is still billed for compute. */
  warning?: string;
  attempts: number;
  errorCode?: string;
  errorMessage?: string;
  note?: string;
  actedAt?: string;
  finishedAt?: string;
}

export interface GroupView {
  value: number;
  vms: number;
  /** Waiting (not released yet), Running, Succeeded, Failed (a VM failed), NotStarted (halted before it). */
  state: "Waiting" | "Running" | "Succeeded" | "Failed" | "NotStarted";
  releasedAt?: string;
  completedAt?: string;
}

export interface SequenceView {
  tag: string;
  continueOnError: boolean;
  delaySeconds: number;
  currentGroup?: number;
  haltedBy?: SequenceState["haltedBy"];
  groups: GroupView[];
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
  sequence?: SequenceView;
  vms: VmStatusView[];
  /** Present when more VMs match: pass it back as `continuationToken`. */
  continuationToken?: string;
}

export async function readStatus(deps: EngineDeps, requestId: string, query: StatusQuery): Promise<RequestStatusView | undefined> {
  const record = await deps.store.getRequest(requestId);
  if (!record) return undefined;
  const rows = record.stage === "accepted" ? [] : await deps.store.listVmRows(requestId);
  const counts = countStatuses(rows.map((r) => r.status));
  const state = record.stage === "completed" ? record.state : summarizeRun(record.stage !== "accepted", counts, record.scopeErrors.length, record.sequence?.haltedBy !== undefined);
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
    message: record.message ?? (isTerminalRequestState(state) ? finalMessage(record, counts, rows.filter((r) => r.status === "Failed")) : record.stage === "accepted" ? "Waiting for the orchestrator to expand the scopes." : undefined),
    counts,
    scopeErrors: record.scopeErrors,
    sequence: record.sequence && sequenceView(record.sequence, rows),
    vms: page.map((row) => toView(row, record.sequence)),
    continuationToken: matching.length > page.length ? page[page.length - 1]!.key : undefined,
  };
}

function sequenceView(sequence: SequenceState, rows: VmRecord[]): SequenceView {
  return {
    tag: sequence.tag,
    continueOnError: sequence.continueOnError,
    delaySeconds: sequence.delaySeconds,
    currentGroup: sequence.groups[sequence.current]?.value,
    haltedBy: sequence.haltedBy,
    groups: sequence.groups.map((group, index) => {
      const members = rows.filter((r) => r.group === index);
      const done = members.every((r) => isTerminal(r.status));
      const finished = members.map((r) => r.finishedAt?.getTime() ?? 0);
      const state: GroupView["state"] =
        members.some((r) => r.status === "NotStarted") ? "NotStarted"
          : index > sequence.current ? "Waiting"
          : !done ? "Running"
          : members.some((r) => r.status === "Failed") ? "Failed" : "Succeeded";
      return {
        value: group.value,
        vms: members.length,
        state,
        releasedAt: index <= sequence.current ? group.releasedAt?.toISOString() : undefined,
        completedAt: done && state !== "NotStarted" && members.length > 0 ? new Date(Math.max(...finished)).toISOString() : undefined,
      };
    }),
  };
}

function outcomeOf(row: VmRecord): StatusFilter {
  return (VM_OUTCOMES as readonly string[]).includes(row.status) ? (row.status as StatusFilter) : "InProgress";
}

function toView(row: VmRecord, sequence: SequenceState | undefined): VmStatusView {
  return {
    id: row.id,
    name: row.name,
    subscriptionId: row.subscriptionId,
    resourceGroup: row.resourceGroup,
    location: row.location,
    outcome: outcomeOf(row),
    step: outcomeOf(row) === "InProgress" ? row.status : undefined,
    group: row.group === undefined ? undefined : sequence?.groups[row.group]?.value,
    // In-progress rows hold the state seen at expansion; only a final outcome's state is current.
    powerState: row.powerState && outcomeOf(row) !== "InProgress" ? `PowerState/${row.powerState}` : undefined,
    powerAction: row.powerAction,
    kind: row.kind ? describeKind(row.kind, row.scaleSetId) : undefined,
    hibernated: row.hibernated,
    fallback: row.fallbackCode ? { code: row.fallbackCode, message: row.fallbackMessage } : undefined,
    // Only a VM this run powered off (or is powering off) is still billed because of it.
    warning: row.powerAction && ["Pending", "Held", "Acting", "Waiting", "Succeeded"].includes(row.status) ? billingWarning(row.powerAction) : undefined,
    attempts: row.attempt,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    note: row.note,
    actedAt: row.actedAt?.toISOString(),
    finishedAt: row.finishedAt?.toISOString(),
  };
}
