/**
 * Holidays of a schedule: fixed dates (`2026-12-24`), and public-holiday calendars of a country or region
 * (`DE`, `DE-BY`, `US-NY`) from the date-holidays library (its data is bundled; nothing is fetched). On a holiday a
 * schedule's periods do not apply and its VMs are kept stopped. Dates are the schedule's local dates. Pure.
 */
import type { FieldProblem } from "../domain/scheduledRequest";

export type HolidayRule = { kind: "date"; date: string } | { kind: "calendar"; code: string; country: string; state?: string; region?: string };

/** The library's CommonJS export is the class itself (its typings call it the default export). */
type HolidaysLib = typeof import("date-holidays").default;
let lib: HolidaysLib | undefined;
/** Loaded on first use: its data is a few MB that a schedule without calendars should not carry. */
function holidaysLib(): HolidaysLib {
  lib ??= require("date-holidays") as HolidaysLib;
  return lib;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CALENDAR = /^([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?(?:-([A-Za-z0-9]{1,5}))?$/;

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

export type HolidaysParse = { ok: true; rules: HolidayRule[] } | { ok: false; problems: FieldProblem[] };

export function parseHolidays(input: unknown): HolidaysParse {
  if (!Array.isArray(input)) return { ok: false, problems: [{ field: "holidays", message: 'must be an array of dates ("2026-12-24") and/or calendars ("DE-BY", "US")' }] };
  if (input.length > 400) return { ok: false, problems: [{ field: "holidays", message: "at most 400 entries" }] };
  const problems: FieldProblem[] = [];
  const rules: HolidayRule[] = [];
  input.forEach((raw: unknown, i) => {
    const field = `holidays[${i}]`;
    if (typeof raw !== "string") return problems.push({ field, message: 'must be a date ("2026-12-24") or a calendar ("DE-BY")' });
    const text = raw.trim();
    if (DATE.test(text)) {
      if (validDate(text)) rules.push({ kind: "date", date: text });
      else problems.push({ field, message: `"${text}" is not a calendar date` });
      return;
    }
    const m = CALENDAR.exec(text);
    if (!m) return problems.push({ field, message: `"${text.slice(0, 40)}" is neither a date (YYYY-MM-DD) nor a calendar code (country, or country-region such as DE-BY)` });
    const country = m[1]!.toUpperCase();
    const state = m[2]?.toUpperCase();
    const region = m[3]?.toUpperCase();
    const H = holidaysLib();
    const known = new H();
    if (!known.getCountries()?.[country]) return problems.push({ field, message: `"${country}" is not a country with a holiday calendar` });
    if (state && !known.getStates(country)?.[state]) return problems.push({ field, message: `"${state}" is not a region of ${country} with a holiday calendar` });
    if (region && !known.getRegions(country, state!)?.[region]) return problems.push({ field, message: `"${region}" is not a region of ${country}-${state} with a holiday calendar` });
    rules.push({ kind: "calendar", code: [country, state, region].filter(Boolean).join("-"), country, state, region });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

/** Public holidays (type "public") of a calendar in one year, as local YYYY-MM-DD dates with their names. */
const calendarCache = new Map<string, Map<string, string>>();
function publicHolidays(rule: Extract<HolidayRule, { kind: "calendar" }>, year: number): Map<string, string> {
  const key = `${rule.code}:${year}`;
  let days = calendarCache.get(key);
  if (!days) {
    const H = holidaysLib();
    const cal = new H(rule.country, rule.state ?? "", rule.region ?? "");
    days = new Map();
    for (const h of cal.getHolidays(year) ?? []) if (h.type === "public") days.set(h.date.slice(0, 10), h.name);
    calendarCache.set(key, days);
  }
  return days;
}

/** The holiday a local date falls on, if any: `"2026-12-25 (DE-BY: 1. Weihnachtstag)"`-style text for reasons. */
export function holidayOn(rules: HolidayRule[], localDate: string): string | undefined {
  for (const rule of rules) {
    if (rule.kind === "date") {
      if (rule.date === localDate) return `${localDate} is listed as a holiday`;
    } else {
      const name = publicHolidays(rule, Number(localDate.slice(0, 4))).get(localDate);
      if (name) return `${localDate} is a public holiday in ${rule.code} (${name})`;
    }
  }
  return undefined;
}
