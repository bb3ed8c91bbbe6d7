/**
 * What a schedule wants at an instant, and when that changes. Pure: the instant comes in as a parameter.
 *
 * AWS Instance Scheduler's rules, evaluated on the schedule's local wall clock (timeZone.ts's effective clock):
 * - a period whose day does not match (weekdays AND monthDays AND months) says stopped;
 * - no times: running all day; begin only: running from begin, otherwise "any"; end only: stopped from end,
 *   otherwise "any"; both: running while begin ≤ t < end, otherwise stopped;
 * - across periods, running beats any beats stopped; with several periods a stopped answer is checked again one
 *   minute before and after, and if both are running the answer is running (so 05:00-10:00 + 10:01-15:00, or
 *   05:00-23:59 + 00:00-03:00, have no gap);
 * - on a holiday the periods do not apply: stopped.
 * "any" means the schedule has no opinion: nothing is done (`unchanged` in the API).
 */
import { fieldMatches, type LocalDate } from "./dayExpression";
import { holidayOn } from "./holidays";
import type { Period, Schedule } from "./schedule";
import { effectiveWallMs, instantOfWall, localIso, wallClock, wallIso, type WallClock } from "./timeZone";

export type ScheduleState = "running" | "stopped" | "any";

export interface StateAt {
  state: ScheduleState;
  /** The period that decided a running answer (the one that began last, as AWS picks), else undefined. */
  period?: string;
  /** The holiday that decided a stopped answer. */
  holiday?: string;
  /** The schedule's local wall clock, `YYYY-MM-DDTHH:MM:SS`. */
  localTime: string;
  reason: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function periodState(p: Period, clock: WallClock): ScheduleState {
  const date: LocalDate = clock;
  if (!fieldMatches(p.days.weekdays, "weekdays", date) || !fieldMatches(p.days.monthDays, "monthDays", date) || !fieldMatches(p.days.months, "months", date)) return "stopped";
  const t = clock.minuteOfDay;
  if (p.begin === undefined && p.end === undefined) return "running";
  if (p.begin === undefined) return t >= p.end! ? "stopped" : "any";
  if (p.end === undefined) return t >= p.begin ? "running" : "any";
  return p.begin <= t && t < p.end ? "running" : "stopped";
}

interface WallState {
  state: ScheduleState;
  period?: Period;
  holiday?: string;
}

function stateAtWallOnce(schedule: Schedule, wallMs: number): WallState {
  const clock = wallClock(wallMs);
  const holiday = schedule.holidays.length > 0 ? holidayOn(schedule.holidays, wallIso(wallMs).slice(0, 10)) : undefined;
  if (holiday) return { state: "stopped", holiday };
  let running: Period | undefined;
  let any = false;
  for (const p of schedule.periods) {
    const s = periodState(p, clock);
    if (s === "running") {
      // AWS's "most authoritative" period: the running one that began last (a period without begin never wins over one with).
      if (!running || (p.begin !== undefined && (running.begin === undefined || p.begin > running.begin))) running = p;
    } else if (s === "any") any = true;
  }
  if (running) return { state: "running", period: running };
  return { state: any ? "any" : "stopped" };
}

/** The schedule's answer at a wall clock reading, with AWS's adjacent-period check. */
export function stateAtWall(schedule: Schedule, wallMs: number): WallState {
  const here = stateAtWallOnce(schedule, wallMs);
  if (here.state !== "stopped" || here.holiday || schedule.periods.length < 2) return here;
  const before = stateAtWallOnce(schedule, wallMs - MINUTE_MS);
  const after = stateAtWallOnce(schedule, wallMs + MINUTE_MS);
  if (before.state === "running" && after.state === "running") return { state: "running", period: after.period };
  return here;
}

function describe(schedule: Schedule, s: WallState, localTime: string): string {
  const at = `${localTime} ${schedule.zone}`;
  if (s.holiday) return `${s.holiday}: the schedule keeps VMs stopped (${at})`;
  if (s.state === "running") {
    const p = s.period!;
    const span = p.begin !== undefined || p.end !== undefined ? ` ${p.begin !== undefined ? hhmm(p.begin) : ""}-${p.end !== undefined ? hhmm(p.end) : ""}` : " (all day)";
    return `in period "${p.name}"${span} at ${at}`;
  }
  if (s.state === "any") return `outside every period, and a one-sided period leaves the state as it is at ${at}`;
  return `outside every period at ${at}`;
}

/** The schedule's answer at an instant. */
export function scheduleStateAt(schedule: Schedule, instant: Date): StateAt {
  const wall = effectiveWallMs(instant.getTime(), schedule.zone);
  const s = stateAtWall(schedule, wall);
  const localTime = wallIso(wall);
  return { state: s.state, period: s.period?.name, holiday: s.holiday, localTime, reason: describe(schedule, s, localTime) };
}

export interface Transition {
  /** The instant the schedule's answer changes. */
  at: Date;
  /** The same instant on the schedule's clock, with its UTC offset (2026-03-29T08:00:00+02:00). */
  local: string;
  /** The answer from this instant on, and the one before it. */
  state: ScheduleState;
  from: ScheduleState;
  period?: string;
  reason: string;
}

/**
 * Every change of the schedule's answer in [from, to), in order: the transitions a preview shows, and what the
 * evaluator's catch-up and the savings view read. The answer only changes where the wall clock crosses a period's
 * begin or end, one minute either side of them (the adjacency check) or midnight, so only those instants are
 * looked at; each is mapped to the first instant the schedule's clock reaches it (DST rules in timeZone.ts).
 */
export function transitionsBetween(schedule: Schedule, from: Date, to: Date): Transition[] {
  const fromMs = from.getTime();
  const toMs = to.getTime();
  if (!(toMs > fromMs)) return [];
  const zone = schedule.zone;
  const boundaries = new Set<number>([0]);
  for (const p of schedule.periods) {
    for (const b of [p.begin, p.end]) {
      if (b === undefined) continue;
      boundaries.add(b);
      if (schedule.periods.length > 1) {
        boundaries.add(b - 1);
        boundaries.add(b + 1);
      }
    }
  }
  const firstDay = Math.floor(effectiveWallMs(fromMs, zone) / DAY_MS) - 1;
  const lastDay = Math.floor(effectiveWallMs(toMs, zone) / DAY_MS) + 1;
  const instants = new Set<number>();
  for (let day = firstDay; day <= lastDay; day++) {
    for (const b of boundaries) {
      const instant = instantOfWall(day * DAY_MS + b * MINUTE_MS, zone);
      if (instant >= fromMs && instant < toMs) instants.add(instant);
    }
  }
  const sorted = [...instants].sort((a, b) => a - b);
  const out: Transition[] = [];
  let previous = scheduleStateAt(schedule, new Date(fromMs - 1)).state;
  for (const instant of sorted) {
    const at = new Date(instant);
    const s = scheduleStateAt(schedule, at);
    if (s.state === previous) continue;
    out.push({ at, local: localIso(instant, zone), state: s.state, from: previous, period: s.period, reason: s.reason });
    previous = s.state;
  }
  return out;
}

/** The last transition at or before `at`, looking back at most `lookBackMs` (catch-up after downtime). */
export function lastTransitionBefore(schedule: Schedule, at: Date, lookBackMs: number): Transition | undefined {
  const list = transitionsBetween(schedule, new Date(at.getTime() - lookBackMs), new Date(at.getTime() + 1));
  return list[list.length - 1];
}
