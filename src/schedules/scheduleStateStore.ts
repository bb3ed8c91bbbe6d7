/**
 * The port for what the ScheduleEvaluator remembers between ticks: per VM, the state stored under its schedule
 * (AWS's stored instance state) and the last decision with its reason; and when the last tick ran (for catch-up).
 */
import type { Action, Override, StoredState } from "./decision";

export interface VmScheduleState {
  vmKey: string;
  vmId: string;
  subscriptionId: string;
  schedule: string;
  stored: StoredState;
  /** The last decision that changed something (stored state or an action): when, what, why, and the request it made. */
  decidedAt: Date;
  action: Action;
  reason: string;
  requestId?: string;
}

export interface ScheduleStateStore {
  /** Every VM's state (the evaluator loads it once per process and writes through). */
  loadAll(): Promise<VmScheduleState[]>;
  get(vmKey: string): Promise<VmScheduleState | undefined>;
  save(states: VmScheduleState[]): Promise<void>;
  lastTick(): Promise<Date | undefined>;
  saveTick(at: Date): Promise<void>;
  /** Overrides set through POST /api/vms/{id}/override, by VM key (expired ones included until replaced). */
  overrides(): Promise<Map<string, Override>>;
  getOverride(vmKey: string): Promise<Override | undefined>;
  putOverride(vmKey: string, override: Override): Promise<void>;
  deleteOverride(vmKey: string): Promise<boolean>;
  /** Records `id` of this kind (a used postpone link, a notice sent); true only the first time. */
  once(kind: "link" | "notice", id: string, at: Date): Promise<boolean>;
}
