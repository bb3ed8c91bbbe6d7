/**
 * What a run stores and what its queue messages carry. One request row plus one row per VM is the whole
 * state of a run (docs/architecture.md, rule 3); the per-subscription rows only hold the verification sweep's cursor.
 */
import type { PowerState } from "../domain/power";
import type { RequestState, VmRunStatus } from "../domain/runState";
import type { ScheduledRequest } from "../domain/scheduledRequest";
import type { PowerAction, RequestAction } from "../targets/powerAction";
import type { TargetKind } from "../targets/targetKind";

/** accepted → expanded (VM rows written) → released (work enqueued) → completed (final state written). */
export type RequestStage = "accepted" | "expanded" | "released" | "completed";

export interface ScopeError {
  scope: string;
  code: string;
  message: string;
}

/** A sequenced run's groups, in the order they run, and how far it has got. */
export interface SequenceState {
  tag: "sequencestart" | "sequencestop";
  continueOnError: boolean;
  delaySeconds: number;
  /** Group values ascending; VM rows carry the index into this list as `group`. */
  groups: { value: number; releasedAt?: Date }[];
  /** Index of the group being worked on; advanced exactly once per group by a conditional update. */
  current: number;
  /** Set when a failed group stopped the sequence. */
  haltedBy?: { group: number; vmId: string; code: string; message: string };
}

export interface RequestRecord {
  requestId: string;
  action: RequestAction;
  request: ScheduledRequest;
  stage: RequestStage;
  state: RequestState;
  createdAt: Date;
  deadline: Date;
  completedAt?: Date;
  vmCount: number;
  scopeErrors: ScopeError[];
  sequence?: SequenceState;
  message?: string;
  /**
   * Until when an orchestration message is known to be on its way (a paced expansion retry, or the watchdog's re-send):
   * the watchdog re-sends only after it passed, and takes the lease with an etag-checked write first, so one stalled
   * request has at most one orchestration chain however many ticks or instances look at it.
   */
  orchestrationLeaseUntil?: Date;
  etag?: string;
}

export interface VmRecord {
  requestId: string;
  /** vmKey(): the lower-cased resource id. */
  key: string;
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  osType?: string;
  priority?: string;
  /** What this target is (docs/targets.md); absent on rows written before kinds existed: a VM. */
  kind?: TargetKind;
  /** A Flexible member's scale set. */
  scaleSetId?: string;
  /**
   * The power action planned for this VM: start, or the stop mode that applies to it (tag, body, fallback). Absent on
   * rows written before stop modes existed (read with actionOf in src/engine/rowAction.ts).
   */
  powerAction?: PowerAction;
  /** A stop mode that could not be used and what was done instead: HibernateUnavailable and the platform's reason. */
  fallbackCode?: string;
  fallbackMessage?: string;
  /** The VM reported HibernationState/Hibernated when it was verified. */
  hibernated?: boolean;
  status: VmRunStatus;
  /** Sequenced runs: index of the VM's group in RequestRecord.sequence.groups. */
  group?: number;
  /** Power actions sent so far for this VM (a retry increments it before the next call). */
  attempt: number;
  /** When the current attempt is due (Pending/Waiting); the sweep re-kicks rows long overdue. */
  dueAt?: Date;
  actedAt?: Date;
  finishedAt?: Date;
  powerState?: PowerState;
  errorCode?: string;
  errorMessage?: string;
  /** Why a VM is Skipped, or what it is waiting for. */
  note?: string;
  /**
   * Set while the VM waits for the executor's brakes ("breaker": its failure domain's operations keep failing) or for
   * maintenance announced inside the VM to end.
   */
  heldBy?: "guard" | "budget" | "breaker" | "maintenance";
  etag?: string;
}

export interface SweepRecord {
  requestId: string;
  subscriptionId: string;
  /** The sequence number of the next valid verify message; see sweep.ts for the protocol. */
  sweepSeq: number;
  done: boolean;
  /** When the row last changed (the table's own timestamp): a chain whose row stopped changing has stalled. */
  updatedAt?: Date;
  etag?: string;
}

export interface OrchestrationMessage {
  requestId: string;
  /** Expansion attempts so far (ARM list calls that failed transiently). */
  attempt?: number;
}

/**
 * Send the power action to these VMs (one subscription + region, all due at the same second). Batching
 * keeps queue traffic and function executions far below one per VM; each VM is still handled on its own.
 */
export interface ActMessage {
  type: "act";
  requestId: string;
  /** The request's v2 action; each VM's own power action is on its row. */
  action: RequestAction;
  deadline: string;
  vms: { key: string; attempt: number }[];
}

export interface VerifyMessage {
  type: "verify";
  requestId: string;
  subscriptionId: string;
  sweep: number;
}

export type ExecutionMessage = ActMessage | VerifyMessage;
