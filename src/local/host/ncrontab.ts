/**
 * NCRONTAB schedules as Azure Functions timer triggers use them: six fields
 * `second minute hour day month day-of-week` (a five-field expression means second 0).
 * Each field: `*`, a value, a range `a-b`, steps `* /n` or `a-b/n` or `a/n`, and comma lists; months and days of the
 * week may be named (JAN, MON). Day-of-week 0 and 7 are Sunday. As in NCrontab, a time must match BOTH the day
 * of the month and the day of the week. All times are UTC.
 */

export interface CronSchedule {
  expression: string;
  seconds: ReadonlySet<number>;
  minutes: ReadonlySet<number>;
  hours: ReadonlySet<number>;
  days: ReadonlySet<number>;
  months: ReadonlySet<number>;
  daysOfWeek: ReadonlySet<number>;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

function parseValue(text: string, names: string[] | undefined, nameBase: number, field: string): number {
  const upper = text.toUpperCase();
  if (names && /^[A-Z]{3,}$/.test(upper)) {
    const index = names.findIndex((n) => upper.startsWith(n));
    if (index >= 0) return index + nameBase;
  }
  if (!/^\d+$/.test(text)) throw new Error(`Invalid value "${text}" in ${field} field`);
  return Number(text);
}

function parseField(text: string, min: number, max: number, field: string, names?: string[], nameBase = 0): Set<number> {
  const result = new Set<number>();
  for (const part of text.split(",")) {
    if (part === "") throw new Error(`Empty list item in ${field} field`);
    const [rangeText, stepText, extra] = part.split("/");
    if (extra !== undefined) throw new Error(`Invalid step "${part}" in ${field} field`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new Error(`Invalid step "${stepText}" in ${field} field`);
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (rangeText === "*" || rangeText === "?") {
      low = min;
      high = max;
    } else if (rangeText!.includes("-")) {
      const [a, b, more] = rangeText!.split("-");
      if (more !== undefined || !a || !b) throw new Error(`Invalid range "${rangeText}" in ${field} field`);
      low = parseValue(a, names, nameBase, field);
      high = parseValue(b, names, nameBase, field);
    } else {
      low = parseValue(rangeText!, names, nameBase, field);
      high = stepText !== undefined ? max : low;
    }
    if (low < min || high > max || low > high) {
      throw new Error(`Value out of range in ${field} field: "${part}" (allowed ${min}-${max})`);
    }
    for (let v = low; v <= high; v += step) result.add(v);
  }
  return result;
}

export function parseNcrontab(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length === 5) fields.unshift("0");
  if (fields.length !== 6) {
    throw new Error(`Invalid NCRONTAB expression "${expression}": expected 6 fields (second minute hour day month day-of-week)`);
  }
  const [sec, min, hour, day, month, dow] = fields as [string, string, string, string, string, string];
  const daysOfWeek = parseField(dow, 0, 7, "day-of-week", DAYS, 0);
  if (daysOfWeek.has(7)) {
    daysOfWeek.delete(7);
    daysOfWeek.add(0);
  }
  return {
    expression,
    seconds: parseField(sec, 0, 59, "second"),
    minutes: parseField(min, 0, 59, "minute"),
    hours: parseField(hour, 0, 23, "hour"),
    days: parseField(day, 1, 31, "day"),
    months: parseField(month, 1, 12, "month", MONTHS, 1),
    daysOfWeek,
  };
}

function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/** The first time strictly after `after` (whole seconds, UTC) that matches the schedule. */
export function nextOccurrence(schedule: CronSchedule, after: Date): Date {
  const start = Math.floor(after.getTime() / 1000) * 1000 + 1000;
  const t = new Date(start);
  let year = t.getUTCFullYear();
  let month = t.getUTCMonth(); // 0-based
  let day = t.getUTCDate();
  let hour = t.getUTCHours();
  let minute = t.getUTCMinutes();
  let second = t.getUTCSeconds();
  const limitYear = year + 30;
  const first = (set: ReadonlySet<number>, from: number, max: number): number | undefined => {
    for (let v = from; v <= max; v++) if (set.has(v)) return v;
    return undefined;
  };
  while (year <= limitYear) {
    if (!schedule.months.has(month + 1)) {
      const m = first(schedule.months, month + 2, 12);
      if (m === undefined) { year++; month = (first(schedule.months, 1, 12) ?? 1) - 1; } else month = m - 1;
      day = 1; hour = 0; minute = 0; second = 0;
      continue;
    }
    const dim = daysInMonth(year, month);
    const weekday = new Date(Date.UTC(year, month, day)).getUTCDay();
    if (day > dim || !schedule.days.has(day) || !schedule.daysOfWeek.has(weekday)) {
      day++;
      if (day > dim) { day = 1; month++; if (month > 11) { month = 0; year++; } }
      hour = 0; minute = 0; second = 0;
      continue;
    }
    const h = first(schedule.hours, hour, 23);
    if (h === undefined) { day++; if (day > dim) { day = 1; month++; if (month > 11) { month = 0; year++; } } hour = 0; minute = 0; second = 0; continue; }
    if (h !== hour) { hour = h; minute = 0; second = 0; }
    const m = first(schedule.minutes, minute, 59);
    if (m === undefined) { hour++; minute = 0; second = 0; if (hour > 23) { hour = 0; day++; if (day > dim) { day = 1; month++; if (month > 11) { month = 0; year++; } } } continue; }
    if (m !== minute) { minute = m; second = 0; }
    const s = first(schedule.seconds, second, 59);
    if (s === undefined) { minute++; second = 0; if (minute > 59) { minute = 0; hour++; if (hour > 23) { hour = 0; day++; if (day > dim) { day = 1; month++; if (month > 11) { month = 0; year++; } } } } continue; }
    return new Date(Date.UTC(year, month, day, hour, minute, s));
  }
  throw new Error(`NCRONTAB expression "${schedule.expression}" has no occurrence within 30 years`);
}
