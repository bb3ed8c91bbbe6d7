/**
 * A named schedule: its fields, and the validation that turns a JSON body into one, naming every bad field.
 * Periods use AWS Instance Scheduler's period grammar (see dayExpression.ts and docs/schedules.md). Pure.
 */
import type { FieldProblem } from "../domain/scheduledRequest";
import { parseDayField, type DayExpr, type DayField } from "./dayExpression";
import { parseHolidays, type HolidayRule } from "./holidays";
import { resolveTimeZone } from "./timeZone";

import { STOP_MODES, type StopMode } from "../targets/powerAction";
export { STOP_MODES, type StopMode };

/** A period as the user wrote it (stored and returned as written). */
export interface PeriodInput {
  name?: string;
  beginTime?: string;
  endTime?: string;
  weekdays?: string | string[];
  monthDays?: string | string[];
  months?: string | string[];
}

/** A schedule as the user wrote it: what PUT /api/schedules/{name} takes and GET returns. */
export interface ScheduleInput {
  name: string;
  timezone: string;
  periods: PeriodInput[];
  description?: string;
  holidays?: string[];
  enforced?: boolean;
  retainRunning?: boolean;
  stopNewVms?: boolean;
  stopMode?: StopMode;
  notifyBeforeMinutes?: number;
}

/** A period ready to evaluate: minutes since local midnight, and the parsed day expressions. */
export interface Period {
  name: string;
  begin?: number;
  end?: number;
  days: Record<DayField, DayExpr>;
}

/** A schedule ready to evaluate. `input` is the validated form it came from. */
export interface Schedule {
  name: string;
  /** The IANA zone the periods are evaluated in (a Windows name is mapped to it). */
  zone: string;
  periods: Period[];
  holidays: HolidayRule[];
  enforced: boolean;
  retainRunning: boolean;
  /** AWS's stop_new_instances (default true): a VM seen for the first time running outside every period is stopped. */
  stopNewVms: boolean;
  stopMode: StopMode;
  notifyBeforeMinutes?: number;
  input: ScheduleInput;
}

export type ScheduleParse = { ok: true; schedule: Schedule } | { ok: false; problems: FieldProblem[] };

/** Names: what a tag value and a table row key can both hold. */
export const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const KNOWN_FIELDS = new Set(["name", "timezone", "periods", "description", "holidays", "enforced", "retainRunning", "stopNewVms", "stopMode", "notifyBeforeMinutes"]);
const PERIOD_FIELDS = new Set(["name", "beginTime", "endTime", "weekdays", "monthDays", "months"]);
const MAX_PERIODS = 50;

function parseTime(value: unknown, field: string, problems: FieldProblem[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  const m = typeof value === "string" ? TIME.exec(value.trim()) : null;
  if (!m) {
    problems.push({ field, message: "must be a time H:MM or HH:MM between 00:00 and 23:59" });
    return undefined;
  }
  return Number(m[1]) * 60 + Number(m[2]);
}

function optionalBoolean(body: Record<string, unknown>, key: string, fallback: boolean, problems: FieldProblem[]): boolean {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") {
    problems.push({ field: key, message: "must be true or false" });
    return fallback;
  }
  return v;
}

/**
 * Validates a schedule body. `pathName`, when given, is the name in the URL: the body's `name` may be left out or must
 * equal it.
 */
export function parseSchedule(body: unknown, pathName?: string): ScheduleParse {
  const problems: FieldProblem[] = [];
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: "(body)", message: 'must be a JSON object such as {"timezone":"Europe/Berlin","periods":[{"beginTime":"08:00","endTime":"19:00","weekdays":"mon-fri"}]}' }] };
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) if (!KNOWN_FIELDS.has(key)) problems.push({ field: key, message: `is not a schedule field (known: ${[...KNOWN_FIELDS].join(", ")})` });

  let name = pathName;
  if (pathName !== undefined && !SCHEDULE_NAME.test(pathName)) problems.push({ field: "name (path)", message: "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit" });
  if (b.name !== undefined) {
    if (typeof b.name !== "string" || !SCHEDULE_NAME.test(b.name)) problems.push({ field: "name", message: "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit" });
    else if (pathName !== undefined && b.name !== pathName) problems.push({ field: "name", message: `must match the name in the path ("${pathName}") or be left out` });
    else name = b.name;
  } else if (pathName === undefined) problems.push({ field: "name", message: "is required" });

  let zone = "UTC";
  if (typeof b.timezone !== "string") problems.push({ field: "timezone", message: "is required: an IANA time zone (e.g. Europe/Berlin) or a Windows one (e.g. W. Europe Standard Time)" });
  else {
    const resolved = resolveTimeZone(b.timezone);
    if (resolved.ok) zone = resolved.iana;
    else problems.push({ field: "timezone", message: resolved.message });
  }

  const periods: Period[] = [];
  const periodInputs: PeriodInput[] = [];
  if (!Array.isArray(b.periods) || b.periods.length === 0) problems.push({ field: "periods", message: "is required: a non-empty array of periods, e.g. [{\"beginTime\":\"08:00\",\"endTime\":\"19:00\",\"weekdays\":\"mon-fri\"}]" });
  else if (b.periods.length > MAX_PERIODS) problems.push({ field: "periods", message: `at most ${MAX_PERIODS} periods` });
  else {
    b.periods.forEach((raw: unknown, i: number) => {
      const at = `periods[${i}]`;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        problems.push({ field: at, message: "must be an object with beginTime, endTime, weekdays, monthDays and/or months" });
        return;
      }
      const p = raw as Record<string, unknown>;
      for (const key of Object.keys(p)) if (!PERIOD_FIELDS.has(key)) problems.push({ field: `${at}.${key}`, message: `is not a period field (known: ${[...PERIOD_FIELDS].join(", ")})` });
      const before = problems.length;
      if (p.name !== undefined && (typeof p.name !== "string" || p.name.length === 0 || p.name.length > 64)) problems.push({ field: `${at}.name`, message: "must be a string of 1-64 characters" });
      const begin = parseTime(p.beginTime, `${at}.beginTime`, problems);
      const end = parseTime(p.endTime, `${at}.endTime`, problems);
      if (begin !== undefined && end !== undefined && begin > end) {
        problems.push({ field: `${at}.endTime`, message: `must not be before beginTime (${String(p.beginTime)}); for a period across midnight use two periods, e.g. 22:00-23:59 and 00:00-06:00` });
      }
      const days = {} as Record<DayField, DayExpr>;
      for (const field of ["weekdays", "monthDays", "months"] as const) {
        const parsed = parseDayField(p[field], field);
        if (parsed.ok) days[field] = parsed.expr;
        else problems.push({ field: `${at}.${field}`, message: parsed.message });
      }
      if (["beginTime", "endTime", "weekdays", "monthDays", "months"].every((k) => p[k] === undefined)) {
        problems.push({ field: at, message: "needs at least one of beginTime, endTime, weekdays, monthDays, months" });
      }
      if (problems.length > before) return;
      const periodName = typeof p.name === "string" ? p.name : `period${i + 1}`;
      periods.push({ name: periodName, begin, end, days });
      periodInputs.push(Object.fromEntries(Object.entries(p).filter(([k]) => PERIOD_FIELDS.has(k))) as PeriodInput);
    });
  }

  let holidays: HolidayRule[] = [];
  if (b.holidays !== undefined) {
    const parsed = parseHolidays(b.holidays);
    if (parsed.ok) holidays = parsed.rules;
    else problems.push(...parsed.problems);
  }

  if (b.description !== undefined && (typeof b.description !== "string" || b.description.length > 500)) problems.push({ field: "description", message: "must be a string of at most 500 characters" });
  const enforced = optionalBoolean(b, "enforced", false, problems);
  const retainRunning = optionalBoolean(b, "retainRunning", false, problems);
  const stopNewVms = optionalBoolean(b, "stopNewVms", true, problems);
  let stopMode: StopMode = "deallocate";
  if (b.stopMode !== undefined) {
    if (typeof b.stopMode !== "string" || !(STOP_MODES as readonly string[]).includes(b.stopMode)) problems.push({ field: "stopMode", message: `must be one of: ${STOP_MODES.join(", ")}` });
    else stopMode = b.stopMode as StopMode;
  }
  let notifyBeforeMinutes: number | undefined;
  if (b.notifyBeforeMinutes !== undefined) {
    if (typeof b.notifyBeforeMinutes !== "number" || !Number.isInteger(b.notifyBeforeMinutes) || b.notifyBeforeMinutes < 1 || b.notifyBeforeMinutes > 1440) {
      problems.push({ field: "notifyBeforeMinutes", message: "must be a whole number of minutes, 1-1440" });
    } else notifyBeforeMinutes = b.notifyBeforeMinutes;
  }

  if (problems.length > 0 || name === undefined) return { ok: false, problems };
  const input: ScheduleInput = {
    name, timezone: (b.timezone as string).trim(), periods: periodInputs,
    ...(b.description !== undefined ? { description: b.description as string } : {}),
    ...(b.holidays !== undefined ? { holidays: b.holidays as string[] } : {}),
    enforced, retainRunning, stopNewVms, stopMode,
    ...(notifyBeforeMinutes !== undefined ? { notifyBeforeMinutes } : {}),
  };
  return { ok: true, schedule: { name, zone, periods, holidays, enforced, retainRunning, stopNewVms, stopMode, notifyBeforeMinutes, input } };
}
