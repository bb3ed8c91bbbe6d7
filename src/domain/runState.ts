/**
 * The life of one VM inside a run, and how a request's overall state follows from its VMs.
 * Pure: the status API and the finaliser both call `summarizeRun`, so they can never disagree.
 */

/**
 * Non-terminal: Held (its sequence group has not been released), Pending (released, not yet acted),
 * Acting (call accepted, verifying), Waiting (retry scheduled).
 */
export type VmRunStatus =
  | "Held" | "Pending" | "Acting" | "Waiting"
  | "Succeeded" | "AlreadyInState" | "Failed" | "Skipped" | "NotStarted" | "Superseded";

/** Superseded: a later request wants this VM in the other state; this run stops caring about it (not a failure). */
export const VM_OUTCOMES = ["Succeeded", "AlreadyInState", "Failed", "Skipped", "NotStarted", "Superseded"] as const;
export type VmOutcome = (typeof VM_OUTCOMES)[number];

export function isTerminal(status: VmRunStatus): status is VmOutcome {
  return (VM_OUTCOMES as readonly string[]).includes(status);
}

export type RequestState = "Accepted" | "Running" | "Succeeded" | "PartiallySucceeded" | "Failed";

export function isTerminalRequestState(state: RequestState): boolean {
  return state === "Succeeded" || state === "PartiallySucceeded" || state === "Failed";
}

export interface RunCounts {
  total: number;
  InProgress: number;
  Succeeded: number;
  AlreadyInState: number;
  Failed: number;
  Skipped: number;
  Superseded: number;
  NotStarted: number;
}

export function countStatuses(statuses: Iterable<VmRunStatus>): RunCounts {
  const counts: RunCounts = { total: 0, InProgress: 0, Succeeded: 0, AlreadyInState: 0, Failed: 0, Skipped: 0, NotStarted: 0, Superseded: 0 };
  for (const status of statuses) {
    counts.total++;
    if (isTerminal(status)) counts[status]++;
    else counts.InProgress++;
  }
  return counts;
}

/**
 * Terminal only when every VM is. Skipped VMs (excluded, untagged) do not make a run fail;
 * a scope that could not be read (e.g. a missing resource group) does, because the user asked for it.
 */
export function summarizeRun(expanded: boolean, counts: RunCounts, scopeErrorCount: number, halted = false): RequestState {
  if (!expanded) return "Accepted";
  if (counts.InProgress > 0) return "Running";
  // A sequence stopped by a failure did not do what was asked, whatever the earlier groups achieved.
  if (halted) return "Failed";
  const reached = counts.Succeeded + counts.AlreadyInState;
  const missed = counts.Failed + counts.NotStarted + scopeErrorCount;
  if (missed === 0) return "Succeeded";
  if (reached === 0) return "Failed";
  return "PartiallySucceeded";
}
