/**
 * The next transitions the dashboard lists: of each named schedule (src/schedules/, `transitionsBetween`) and of each
 * Logic App recurrence the deployment made (LOGIC_APP_SCHEDULES: weekdays, hour, minute, Windows or IANA zone). Pure.
 */
import { transitionsBetween } from "../schedules/evaluate";
import type { Schedule } from "../schedules/schedule";
import { instantOfWall, plainWallMs, resolveTimeZone } from "../schedules/timeZone";

export interface LogicAppRecurrence {
  name: string;
  action: string;
  weekDays: string[];
  hour: number;
  minute: number;
  timeZone: string;
  enabled: boolean;
}

export interface UpcomingTransition {
  at: string;
  source: "schedule" | "logicApp";
  name: string;
  /** What happens: the schedule's new state (running / stopped), or the Logic App's action (start / stop). */
  what: string;
  /** The same instant on the source's own clock. */
  local?: string;
  enabled: boolean;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function scheduleTransitions(schedules: Schedule[], from: Date, to: Date): UpcomingTransition[] {
  return schedules.flatMap((s) =>
    transitionsBetween(s, from, to).map((t): UpcomingTransition => ({ at: t.at.toISOString(), source: "schedule", name: s.name, what: t.state, local: t.local, enabled: true })));
}

export function logicAppTransitions(recurrences: LogicAppRecurrence[], from: Date, to: Date): UpcomingTransition[] {
  const out: UpcomingTransition[] = [];
  for (const r of recurrences) {
    const zone = resolveTimeZone(r.timeZone);
    if (!zone.ok) continue;
    const firstDay = Math.floor(plainWallMs(from.getTime(), zone.iana) / DAY_MS) - 1;
    for (let day = firstDay; day <= firstDay + Math.ceil((to.getTime() - from.getTime()) / DAY_MS) + 2; day++) {
      const weekday = WEEKDAYS[new Date(day * DAY_MS).getUTCDay()]!;
      if (!r.weekDays.includes(weekday)) continue;
      const at = instantOfWall(day * DAY_MS + (r.hour * 60 + r.minute) * 60_000, zone.iana);
      if (at >= from.getTime() && at < to.getTime()) out.push({ at: new Date(at).toISOString(), source: "logicApp", name: r.name, what: r.action, enabled: r.enabled });
    }
  }
  return out;
}

/** LOGIC_APP_SCHEDULES as the Bicep writes it; entries that do not parse are left out (the page lists what it knows). */
export function parseLogicAppSchedules(text: string | undefined): LogicAppRecurrence[] {
  if (!text?.trim()) return [];
  try {
    const list = JSON.parse(text) as unknown[];
    return Array.isArray(list)
      ? list.flatMap((x) => {
        const r = x as Partial<LogicAppRecurrence>;
        return typeof r.name === "string" && Array.isArray(r.weekDays) && typeof r.hour === "number"
          ? [{ name: r.name, action: String(r.action ?? ""), weekDays: r.weekDays.map(String), hour: r.hour, minute: Number(r.minute ?? 0), timeZone: String(r.timeZone ?? "UTC"), enabled: r.enabled !== false }]
          : [];
      })
      : [];
  } catch {
    return [];
  }
}
