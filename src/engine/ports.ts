/**
 * The small interfaces the engine needs from the outside world. Adapters in src/adapters implement them
 * against Azure; nothing in src/engine or src/domain imports an SDK.
 */
import type { PowerState } from "../domain/power";
import type { PowerAction, RequestAction } from "../targets/powerAction";
import type { RunCounts, VmRunStatus } from "../domain/runState";
import type { VmRef } from "../domain/resourceId";
import type { ObservedVmStatus } from "../domain/verification";
import type { RetryPolicy } from "../domain/retryPolicy";
import type { PacingBudget } from "../domain/pacing";
import type { Backpressure, RemainingBudget } from "./backpressure";
import type { BudgetLedger } from "../budget/budgetLedger";
import type { ExecutionMessage, OrchestrationMessage, RequestRecord, SweepRecord, VmRecord } from "./records";

export interface VmInfo {
  ref: VmRef;
  key: string;
  id: string;
  location: string;
  tags: Record<string, string>;
  osType?: string;
  priority?: string;
  powerState?: PowerState;
  /** `additionalCapabilities.hibernationEnabled`: only such a VM can hibernate. */
  hibernationEnabled?: boolean;
  /** `virtualMachineScaleSet.id`: the VM is a member of a Flexible scale set. */
  scaleSetId?: string;
  /** `hardwareProfile.vmSize` (what savings are priced by). */
  size?: string;
  /** `licenseType`: Azure Hybrid Benefit (`Windows_Server`, `Windows_Client`) bills a Windows VM at the base rate. */
  licenseType?: string;
}

/** A per-VM read already made by an earlier attempt of an expansion (kept on the request, so a retry resumes). */
export type ResolvedRead =
  | { kind: "status"; powerState?: ObservedVmStatus["powerState"] }
  | { kind: "vm"; vm: VmInfo }
  | { kind: "unreadable"; code: string; message: string };

/** Every Microsoft.Compute call the app makes. Failures are thrown as ArmRequestError. */
export interface ComputeGateway {
  listVmsInSubscription(subscriptionId: string): Promise<VmInfo[]>;
  listVmsInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<VmInfo[]>;
  /** One VM with its power state; undefined when it does not exist. */
  getVm(ref: VmRef): Promise<VmInfo | undefined>;
  /** Power state and provisioning failures of every VM of a subscription, keyed by vmKey (statusOnly list). */
  listVmStatuses(subscriptionId: string): Promise<Map<string, ObservedVmStatus>>;
  /** One VM's status from its instance view; undefined when it does not exist. */
  getVmStatus(ref: VmRef): Promise<ObservedVmStatus | undefined>;
  /**
   * Sends the power action (start, deallocate, deallocate with hibernate, powerOff) and returns once Azure accepted it
   * (with what is left of the budgets); never waits for the operation.
   */
  requestPowerAction(ref: VmRef, action: PowerAction): Promise<RemainingBudget>;
}

/** A change to one VM row, applied if the row's etag still matches. */
export interface RowWrite {
  row: VmRecord;
  changes: Partial<VmRecord>;
}

/**
 * Which VM rows of a run to list; every field narrows. The filters run in storage, so a Sequenced run's
 * group costs what the group holds, not what the run holds.
 */
export interface VmRowFilter {
  subscriptionId?: string;
  /** Only rows without an outcome yet. */
  openOnly?: boolean;
  /** Only rows of this Sequenced group. */
  group?: number;
  status?: VmRunStatus;
}

export interface RequestStore {
  /** Returns false if a request with this id exists already. */
  createRequest(record: RequestRecord): Promise<boolean>;
  getRequest(requestId: string): Promise<RequestRecord | undefined>;
  /** Optimistic update (etag): the updated record, or undefined when somebody else changed the row first. */
  updateRequest(record: RequestRecord, changes: Partial<RequestRecord>): Promise<RequestRecord | undefined>;
  /** Writes VM rows that do not exist yet; rows already there are left as they are (a rerun must not reset progress). */
  insertVmRows(rows: VmRecord[]): Promise<void>;
  /** `openOnly`: only rows without an outcome yet (filtered by the store, not after reading). */
  listVmRows(requestId: string, filter?: VmRowFilter): Promise<VmRecord[]>;
  /** Only the status of every VM row: what deciding whether a run is complete needs, at a fraction of the reads. */
  listVmStatuses(requestId: string): Promise<VmRunStatus[]>;
  getVmRow(requestId: string, key: string): Promise<VmRecord | undefined>;
  updateVmRow(row: VmRecord, changes: Partial<VmRecord>): Promise<VmRecord | undefined>;
  /** Many updates at once (fewer storage round trips); each result as updateVmRow's, in the same order. */
  updateVmRows(updates: RowWrite[]): Promise<(VmRecord | undefined)[]>;
  /** Binds an idempotency identity to a request id; returns the id that owns it (ours, or an earlier one). */
  claimIdempotencyKey(identity: string, requestId: string): Promise<string>;
  /** Per-VM reads an expansion already made (so a retried expansion resumes instead of starting over). */
  loadExpansionReads(requestId: string): Promise<Map<string, ResolvedRead>>;
  saveExpansionReads(requestId: string, reads: Map<string, ResolvedRead>): Promise<void>;
  /** The index of requests not finished yet, which the watchdog walks (one small row per request). */
  indexOpenRequest(requestId: string, deadline: Date): Promise<void>;
  listOpenRequests(): Promise<{ requestId: string; deadline: Date; indexedAt: Date }[]>;
  removeOpenRequest(requestId: string): Promise<void>;
  insertSweeps(rows: SweepRecord[]): Promise<void>;
  getSweep(requestId: string, subscriptionId: string): Promise<SweepRecord | undefined>;
  listSweeps(requestId: string): Promise<SweepRecord[]>;
  updateSweep(row: SweepRecord, changes: Partial<SweepRecord>): Promise<SweepRecord | undefined>;
}

/** What a VM should be: the state the newest request that named it asked for. */
export interface DesiredState {
  vmKey: string;
  subscriptionId: string;
  desired: "running" | "deallocated";
  requestId: string;
  action: RequestAction;
  requestCreatedAt: Date;
}

/** What a claim did: the holders it replaced (to be superseded), and the newer holders that kept their VMs. */
export interface ClaimResult {
  replaced: DesiredState[];
  /** VMs a newer request (later requestCreatedAt) already holds: the claiming request must not act on them. */
  keptByNewer: DesiredState[];
}

export interface DesiredStateStore {
  /**
   * Records each entry unless a newer request (later requestCreatedAt) already holds that VM; returns what each entry
   * replaced (the previous holder), so the caller can supersede it, and which VMs a newer request kept.
   * Etag-checked: concurrent claims never lose a newer one.
   */
  claim(entries: DesiredState[]): Promise<ClaimResult>;
  get(vmKey: string): Promise<DesiredState | undefined>;
  /** Every VM whose desired state is this one (the eviction watcher reads the "running" ones). */
  listByDesired(desired: DesiredState["desired"]): Promise<DesiredState[]>;
}

/** Maintenance a VM's scheduled-events agent announced: the VM must not be started or deallocated inside it. */
export interface MaintenanceWindow {
  vmKey: string;
  eventId: string;
  eventType: string;
  start: Date;
  end: Date;
}

export interface MaintenanceCalendar {
  /** Every announced window that has not ended by `now` (one read, whatever the number of VMs). */
  openWindows(now: Date): Promise<MaintenanceWindow[]>;
}

export interface MessageQueue<T> {
  send(message: T, delaySeconds?: number): Promise<void>;
  /** Sends all, each with the same delay or its own. */
  sendMany(messages: T[], delaySeconds?: number | ((message: T) => number)): Promise<void>;
}

export interface Clock {
  now(): Date;
  /** Waits this many seconds of the app's time. */
  sleep(seconds: number): Promise<void>;
  /**
   * The app's seconds that pass in this many real seconds, and back. The same number in Azure; in the local world with
   * compressed time the app lives on the simulator's faster time line, while a queue's visibility timeout or a
   * Retry-After the simulator states are real seconds. This is the one place that compression enters deployed code.
   */
  appSeconds(realSeconds: number): number;
  realSeconds(appSeconds: number): number;
}

export interface EngineSettings {
  /** Default time a request may take before unfinished VMs are reported Failed. */
  deadlineMinutes: number;
  /** Seconds between verification sweeps of a subscription. */
  verifyIntervalSeconds: number;
  /** A Pending/Waiting row this long overdue gets its message sent again (lost after a crash). */
  stallGraceSeconds: number;
  /** Up to this many VMs being verified in a subscription are read one by one; more are read with one list. */
  singleReadThreshold: number;
  /** Sweeps of big subscriptions are spaced so one sweep lists at most this many VMs per second of interval. */
  verifyListVmsPerSecond: number;
  retry: RetryPolicy;
  pacing: PacingBudget;
  /**
   * Seconds a shared-budget grant stays good: its calls must leave within this long, and the ledger counts the tokens
   * in flight until then (BUDGET_CALL_WINDOW_SECONDS).
   */
  budgetCallWindowSeconds: number;
}

/** A request whose outcome is final, as operators hear of it (telemetry event, failure notice). */
export interface FinishedRequest {
  requestId: string;
  action: string;
  /** Succeeded, PartiallySucceeded or Failed. */
  state: string;
  /** The sentence the status API shows, including the grouped failures. */
  message: string;
  counts: RunCounts;
  /** Error codes of the failed VMs, most frequent first. */
  topErrorCodes: Array<{ code: string; count: number }>;
  /** A few failed VMs with their error, for a notice to name (at most 10). */
  failedVms: Array<{ vmId: string; errorCode: string; message: string }>;
}

/**
 * Hears once that a request finished: called by the caller whose etag-checked update completed the request row,
 * so two sweeps finishing together notify once. A listener that throws is logged and never fails the run.
 */
export interface RequestFinishedListener {
  requestFinished(request: FinishedRequest): Promise<void>;
}

export interface EngineDeps {
  compute: ComputeGateway;
  store: RequestStore;
  desiredStates: DesiredStateStore;
  maintenance: MaintenanceCalendar;
  orchestrationQueue: MessageQueue<OrchestrationMessage>;
  executionQueue: MessageQueue<ExecutionMessage>;
  clock: Clock;
  random: () => number;
  backpressure: Backpressure;
  /** The shared budget every request and host instance draws from before calling (src/budget/budgetLedger.ts). */
  budget: BudgetLedger;
  settings: EngineSettings;
  /** A line about the engine's work; `requestId` (and `vmId` where it is about one VM) tie it to its run. */
  log: (message: string, fields?: { requestId?: string; vmId?: string }) => void;
  /** Told once per finished request (telemetry, failure notices); empty when nobody listens. */
  finishedListeners: RequestFinishedListener[];
}
