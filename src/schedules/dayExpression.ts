/**
 * The day part of a period: AWS Instance Scheduler's grammar for `weekdays`, `monthDays` and `months`, parsed into a
 * small expression tree and matched against a local date. Pure.
 *
 * - weekdays: 0 = Monday … 6 = Sunday, or names (`mon`, `Monday`, any case); ranges with wrap (`sat-mon`, `0-4`);
 *   steps (`mon/2`, `mon-fri/2`); `L` alone = Sunday; `friL` = the last Friday of the month; `mon#2` = the second
 *   Monday (n = 1…5).
 * - monthDays: 1…31; `L` = the last day; ranges without wrap (`20-L`, `1-15`); steps (`1/7`, `3-L/2`); `15W` = the
 *   weekday nearest the 15th, never leaving the month.
 * - months: 1…12 or names (`jan`, `January`); ranges with wrap (`oct-mar`); steps (`jan/3`). `L` is refused.
 * A field is one string or an array of strings; a string may hold several expressions separated by commas (a union).
 * `*` and `?` mean every value. Fields combine with AND (unlike cron's OR of day-of-month and day-of-week).
 */
import { daysInMonth, weekdayOf } from "./timeZone";

export type DayField = "weekdays" | "monthDays" | "months";

type Value = { kind: "number"; value: number } | { kind: "last" };

export type DayExpr =
  | { kind: "all" }
  | { kind: "union"; exprs: DayExpr[] }
  | { kind: "value"; value: Value }
  | { kind: "range"; start: number; end: Value | undefined; step: number }
  | { kind: "nthWeekday"; weekday: number; n: number }
  | { kind: "lastWeekday"; weekday: number }
  | { kind: "nearestWeekday"; day: number };

const WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

function nameTable(names: string[], first: number): Map<string, number> {
  const table = new Map<string, number>();
  names.forEach((n, i) => {
    table.set(n, i + first);
    table.set(n.slice(0, 3), i + first);
  });
  return table;
}

const NAMES: Record<DayField, Map<string, number>> = {
  weekdays: nameTable(WEEKDAY_NAMES, 0),
  months: nameTable(MONTH_NAMES, 1),
  monthDays: new Map(),
};

const DOMAIN: Record<DayField, { min: number; max: number; what: string }> = {
  weekdays: { min: 0, max: 6, what: "a weekday 0-6 (0 = Monday) or a name such as mon" },
  monthDays: { min: 1, max: 31, what: "a day of the month 1-31" },
  months: { min: 1, max: 12, what: "a month 1-12 or a name such as jan" },
};

class Refused extends Error {}

function single(text: string, field: DayField, allowLast: boolean): Value {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    const d = DOMAIN[field];
    if (value < d.min || value > d.max) throw new Refused(`"${text}" is out of range: expected ${d.what}`);
    return { kind: "number", value };
  }
  const named = NAMES[field].get(text);
  if (named !== undefined) return { kind: "number", value: named };
  if (text === "l") {
    if (!allowLast) throw new Refused(`"L" is not allowed here`);
    return { kind: "last" };
  }
  throw new Refused(`"${text}" is not ${DOMAIN[field].what}`);
}

function numberOf(text: string, field: DayField): number {
  const v = single(text, field, false);
  return (v as { value: number }).value;
}

function parseOne(raw: string, field: DayField): DayExpr {
  const text = raw.trim().toLowerCase();
  if (text === "") throw new Refused("an empty expression");
  if (text === "*" || text === "?") return { kind: "all" };
  if (text === "l") {
    if (field === "months") throw new Refused(`"L" is not allowed in months`);
    return { kind: "value", value: { kind: "last" } };
  }
  const step = /^(.+)\/(\d+)$/.exec(text);
  if (step) {
    const interval = Number(step[2]);
    if (interval < 1) throw new Refused(`"${raw.trim()}": the step must be at least 1`);
    const inner = parseRange(step[1]!, field);
    if (inner) return { ...inner, step: interval };
    return { kind: "range", start: numberOf(step[1]!, field), end: undefined, step: interval };
  }
  const range = parseRange(text, field);
  if (range) return range;
  const nth = /^(.+)#(\d+)$/.exec(text);
  if (nth) {
    if (field !== "weekdays") throw new Refused(`"${raw.trim()}": the nth weekday (mon#2) belongs in weekdays`);
    const n = Number(nth[2]);
    if (n < 1 || n > 5) throw new Refused(`"${raw.trim()}": n in <day>#n must be 1-5`);
    return { kind: "nthWeekday", weekday: numberOf(nth[1]!, field), n };
  }
  const nearest = /^(\d+)w$/.exec(text);
  if (nearest) {
    if (field !== "monthDays") throw new Refused(`"${raw.trim()}": the nearest weekday (15W) belongs in monthDays`);
    return { kind: "nearestWeekday", day: numberOf(nearest[1]!, field) };
  }
  if (/^\d+$/.test(text) || NAMES[field].has(text)) return { kind: "value", value: single(text, field, false) };
  const last = /^(.+)l$/.exec(text);
  if (last) {
    if (field !== "weekdays") throw new Refused(`"${raw.trim()}": the last weekday (friL) belongs in weekdays`);
    return { kind: "lastWeekday", weekday: numberOf(last[1]!, field) };
  }
  return { kind: "value", value: single(text, field, false) };
}

function parseRange(text: string, field: DayField): Extract<DayExpr, { kind: "range" }> | undefined {
  const m = /^(.+)-(.+)$/.exec(text);
  if (!m) return undefined;
  const startText = m[1]!.trim();
  if (startText === "l") throw new Refused(`"${text}": a range cannot start with L`);
  const start = numberOf(startText, field);
  const end = single(m[2]!.trim(), field, field === "monthDays");
  if (field === "monthDays" && end.kind === "number" && start > end.value) throw new Refused(`"${text}": day-of-month ranges do not wrap; use two expressions`);
  return { kind: "range", start, end, step: 1 };
}

export type ParsedField = { ok: true; expr: DayExpr } | { ok: false; message: string };

/** Parses one field (a string or an array of strings); undefined means every value. */
export function parseDayField(input: unknown, field: DayField): ParsedField {
  if (input === undefined || input === null) return { ok: true, expr: { kind: "all" } };
  const items = typeof input === "string" ? [input] : input;
  if (!Array.isArray(items) || items.length === 0 || items.some((i) => typeof i !== "string")) {
    return { ok: false, message: "must be a string or a non-empty array of strings" };
  }
  try {
    const exprs = (items as string[]).flatMap((s) => s.split(",")).map((s) => parseOne(s, field));
    return { ok: true, expr: exprs.length === 1 ? exprs[0]! : { kind: "union", exprs } };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, message: error.message };
    throw error;
  }
}

/** The values of a range within [min, max], wrapping once when start > end (AWS's rule; monthDays never wrap). */
function rangeValues(start: number, end: number, step: number, min: number, max: number): Set<number> {
  const values = new Set<number>();
  if (start > max) return values;
  let wrap = start > end;
  let p = start;
  while (wrap || p <= end) {
    if (p >= min && p <= max) values.add(p);
    p += step;
    if (wrap && p > max) {
      p -= max - min + 1;
      wrap = false;
    }
  }
  return values;
}

function nthWeekdayDay(year: number, month: number, weekday: number, n: number): number {
  const first = 1 + ((weekday - weekdayOf(year, month, 1) + 7) % 7);
  const day = first + 7 * (n - 1);
  return day <= daysInMonth(year, month) ? day : -1;
}

function lastWeekdayDay(year: number, month: number, weekday: number): number {
  const last = daysInMonth(year, month);
  return last - ((weekdayOf(year, month, last) - weekday + 7) % 7);
}

/** AWS's nearest weekday: Saturday → the Friday before (or Monday after on the 1st), Sunday → the Monday after (or Friday before on the last day). */
export function nearestWeekdayDay(year: number, month: number, day: number): number {
  const last = daysInMonth(year, month);
  if (day > last) return -1;
  const wd = weekdayOf(year, month, day);
  if (wd === 5) return day === 1 ? day + 2 : day - 1;
  if (wd === 6) return day === last ? day - 2 : day + 1;
  return day;
}

export interface LocalDate {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

/** Whether a local date satisfies one field's expression. */
export function fieldMatches(expr: DayExpr, field: DayField, date: LocalDate): boolean {
  const value = field === "weekdays" ? date.weekday : field === "months" ? date.month : date.day;
  const max = field === "monthDays" ? daysInMonth(date.year, date.month) : DOMAIN[field].max;
  const min = DOMAIN[field].min;
  switch (expr.kind) {
    case "all":
      return true;
    case "union":
      return expr.exprs.some((e) => fieldMatches(e, field, date));
    case "value":
      return value === (expr.value.kind === "last" ? max : expr.value.value);
    case "range": {
      const end = expr.end === undefined || expr.end.kind === "last" ? max : expr.end.value;
      return rangeValues(expr.start, end, expr.step, min, max).has(value);
    }
    case "nthWeekday":
      return nthWeekdayDay(date.year, date.month, expr.weekday, expr.n) === date.day;
    case "lastWeekday":
      return lastWeekdayDay(date.year, date.month, expr.weekday) === date.day;
    case "nearestWeekday":
      return nearestWeekdayDay(date.year, date.month, expr.day) === date.day;
  }
}
