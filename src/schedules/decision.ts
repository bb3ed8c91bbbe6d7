/**
 * The pure decision for one VM under one schedule at one instant, with AWS Instance Scheduler's meaning of the flags:
 *
 * - It acts only when the schedule's answer changes against the state stored for the VM last time (a VM stopped by
 *   hand inside a period, or started by hand outside one, is left alone until the next transition).
 * - `enforced`: act on every evaluation, whatever was stored.
 * - `retainRunning`: a VM found already running when its period begins (someone started it by hand) is not stopped
 *   when that period ends.
 * - `stopNewVms` (default true): a VM never seen before (no stored state) found running outside every period is
 *   stopped; with false it is left running.
 * - A start that failed is tried again on the next evaluation while the period lasts.
 * - An override (`until` in the future) holds the VM in its state against the schedule.
 * An action is only asked for when the VM's last known power state differs from the target.
 */
import { scheduleStateAt, type ScheduleState, type StateAt } from "./evaluate";
import type { Schedule } from "./schedule";

/** What the evaluator stores per VM between ticks (AWS's instance states that matter here). */
export type StoredState = "running" | "stopped" | "any" | "retain-running" | "start-failed";
export type VmPower = "running" | "stopped" | "unknown";
export type Action = "start" | "stop" | "none";

export interface Override {
  state: "running" | "stopped";
  until: Date;
  source: string;
}

export interface DecisionInput {
  schedule: Schedule;
  at: Date;
  /** The VM's power state as last read ("stopped" includes deallocated). */
  vm: VmPower;
  /** What was stored for the VM under this schedule; undefined for a VM seen for the first time. */
  stored?: StoredState;
  override?: Override;
  /** The schedule's answer at `at`, when the caller already has it (the evaluator computes it once per schedule and tick). */
  state?: StateAt;
}

export interface Decision {
  /** What the schedule wants now; `unchanged` when a one-sided period leaves it open. */
  desiredState: "running" | "stopped" | "unchanged";
  action: Action;
  /** The state to store for the next evaluation. */
  stored: StoredState;
  period?: string;
  localTime: string;
  reason: string;
}

function toDesired(state: ScheduleState): Decision["desiredState"] {
  return state === "any" ? "unchanged" : state;
}

/** Asks for `wanted` unless the VM is already there. */
function act(wanted: "start" | "stop", vm: VmPower): Action {
  if (wanted === "start" && vm === "running") return "none";
  if (wanted === "stop" && vm === "stopped") return "none";
  return wanted;
}

export function decide(input: DecisionInput): Decision {
  const { schedule, at, vm, stored, override } = input;
  const s = input.state ?? scheduleStateAt(schedule, at);
  const base = { desiredState: toDesired(s.state), period: s.period, localTime: s.localTime };

  if (override && override.until.getTime() > at.getTime()) {
    const wanted = override.state === "running" ? "start" : "stop";
    return {
      ...base, action: act(wanted, vm), stored: override.state,
      reason: `held ${override.state} by an override (${override.source}) until ${override.until.toISOString()}; the schedule says ${base.desiredState}: ${s.reason}`,
    };
  }

  switch (s.state) {
    case "any":
      return { ...base, action: "none", stored: "any", reason: s.reason };
    case "stopped": {
      if (stored === undefined && !schedule.stopNewVms) return { ...base, action: "none", stored: "stopped", reason: `first seen, and stopNewVms is off: left as it is (${s.reason})` };
      if (schedule.enforced) return { ...base, action: act("stop", vm), stored: "stopped", reason: `enforced: ${s.reason}` };
      if (stored === "retain-running" && schedule.retainRunning) return { ...base, action: "none", stored: "stopped", reason: `retainRunning: it was already running when its period began, so the period's end leaves it running (${s.reason})` };
      if (stored !== "stopped") return { ...base, action: act("stop", vm), stored: "stopped", reason: `${stored === undefined ? "first seen" : `was ${stored}`}, now ${s.reason}` };
      return { ...base, action: "none", stored: "stopped", reason: `no transition (still ${s.reason})` };
    }
    case "running": {
      if (schedule.enforced) return { ...base, action: act("start", vm), stored: "running", reason: `enforced: ${s.reason}` };
      if (schedule.retainRunning && stored === "stopped" && vm === "running") {
        return { ...base, action: "none", stored: "retain-running", reason: `already running when its period began (started by hand): retainRunning keeps it running past the period's end (${s.reason})` };
      }
      if (stored === "retain-running") return { ...base, action: "none", stored: "retain-running", reason: `retainRunning holds (${s.reason})` };
      if (stored === "start-failed") return { ...base, action: act("start", vm), stored: "running", reason: `the last start failed; trying again (${s.reason})` };
      if (stored !== "running") return { ...base, action: act("start", vm), stored: "running", reason: `${stored === undefined ? "first seen" : `was ${stored}`}, now ${s.reason}` };
      return { ...base, action: "none", stored: "running", reason: `no transition (still ${s.reason})` };
    }
  }
}
