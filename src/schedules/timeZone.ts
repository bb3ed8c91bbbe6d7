/**
 * Time zones for schedules: resolving a name (IANA, or a Windows name as v2 and DevTest Labs use) and moving between
 * an instant and the schedule's local wall clock, DST included. Pure: only the runtime's time zone database (Intl).
 *
 * Wall clock times are carried as "wall milliseconds": the local date and time written as if it were UTC
 * (Date.UTC(y, m, d, h, mi)), so that wall-clock arithmetic (± 1 minute, next day) is plain addition.
 *
 * DST, the two choices (see docs/schedules.md):
 * - A wall time that does not exist (02:30 on the spring-forward day in Europe/Berlin) is reached at the instant the
 *   clock jumps over it (03:00 local): a period that begins at 02:30 starts at 03:00 that day; a period that lies
 *   wholly inside the skipped hour does not run that day.
 * - A wall time that happens twice (01:30 on the fall-back day in America/New_York) counts once, the first time the
 *   clock shows it. While the repeated hour plays the second time, the schedule sees the clock standing still at the
 *   end of the hour (02:00), so nothing flips back and forth: a 01:30 start starts once, a 01:45 stop stops once.
 *   The effective wall clock is therefore never decreasing in time.
 */
import { findIana } from "windows-iana";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether the runtime knows an IANA zone of this exact name (case-insensitive, as Intl is). */
function isIanaZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

export type ResolvedZone = { ok: true; iana: string; windowsName?: string } | { ok: false; message: string };

/**
 * An IANA name (`Europe/Berlin`, `UTC`, `Etc/GMT+5`) as it is, or a Windows name (`W. Europe Standard Time`) mapped
 * with CLDR's table (windows-iana) to its primary IANA zone.
 */
export function resolveTimeZone(name: string): ResolvedZone {
  const trimmed = name.trim();
  if (trimmed === "") return { ok: false, message: "must be an IANA time zone (e.g. Europe/Berlin) or a Windows one (e.g. W. Europe Standard Time)" };
  if (isIanaZone(trimmed)) return { ok: true, iana: new Intl.DateTimeFormat("en-US", { timeZone: trimmed }).resolvedOptions().timeZone };
  const mapped = findIana(trimmed);
  if (mapped && mapped.length > 0 && isIanaZone(mapped[0]!)) return { ok: true, iana: mapped[0]!, windowsName: trimmed };
  return { ok: false, message: `"${trimmed.slice(0, 80)}" is neither an IANA time zone (e.g. Europe/Berlin) nor a Windows one (e.g. W. Europe Standard Time)` };
}

/** The zone's wall clock at an instant, as wall milliseconds (the plain reading, without the DST rule above). */
export function plainWallMs(instantMs: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(instantMs));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  const wholeSecond = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wholeSecond + (((instantMs % 1000) + 1000) % 1000);
}

/** UTC offset in milliseconds at an instant (local = UTC + offset). */
export function offsetMs(instantMs: number, zone: string): number {
  return plainWallMs(instantMs, zone) - instantMs;
}

/** The instant in [lo, hi] where the offset changes from `before`: the first instant whose offset is not `before`. */
function offsetChange(lo: number, hi: number, before: number, zone: string): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMs(mid, zone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The wall clock the schedule sees at an instant: the plain reading, except during the second pass of a repeated
 * hour, where it stands at the end of that hour (see the header).
 */
export function effectiveWallMs(instantMs: number, zone: string): number {
  const now = offsetMs(instantMs, zone);
  const earlier = offsetMs(instantMs - 3 * HOUR_MS, zone);
  const fold = earlier - now;
  if (fold <= 0) return instantMs + now;
  // The clock went back by `fold` within the last 3 hours. Are we still within `fold` of that change?
  if (offsetMs(instantMs - fold, zone) === now) return instantMs + now;
  const change = offsetChange(instantMs - 3 * HOUR_MS, instantMs, earlier, zone);
  const foldEnd = change + earlier; // the wall time the clock showed when it went back
  return Math.max(instantMs + now, foldEnd);
}

/**
 * The first instant at which the schedule's wall clock (effectiveWallMs) reaches `wallMs`: its first occurrence
 * when the wall time happens twice, the instant of the jump when it does not exist.
 */
export function instantOfWall(wallMs: number, zone: string): number {
  const offsets = new Set([offsetMs(wallMs - 14 * HOUR_MS, zone), offsetMs(wallMs, zone), offsetMs(wallMs + 14 * HOUR_MS, zone)]);
  const candidates = [...offsets].map((o) => wallMs - o).sort((a, b) => a - b);
  for (const c of candidates) if (plainWallMs(c, zone) === wallMs) return c; // earliest real occurrence
  // Skipped: the clock jumps over wallMs. The jump lies between the earliest and the latest candidate.
  const lo = candidates[0]!;
  const hi = candidates[candidates.length - 1]!;
  return offsetChange(lo, hi, offsetMs(lo, zone), zone);
}

/** A wall clock reading split into fields; weekday 0 = Monday … 6 = Sunday (AWS Instance Scheduler's numbering). */
export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  /** Minutes (with fractions from seconds) since local midnight. */
  minuteOfDay: number;
}

export function wallClock(wallMs: number): WallClock {
  const d = new Date(wallMs);
  const jsDay = d.getUTCDay(); // 0 = Sunday
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    weekday: (jsDay + 6) % 7,
    minuteOfDay: d.getUTCHours() * 60 + d.getUTCMinutes() + d.getUTCSeconds() / 60,
  };
}

/** `YYYY-MM-DDTHH:MM:SS` of a wall clock reading. */
export function wallIso(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 19);
}

/** ISO 8601 local time with the zone's offset at that instant, e.g. 2026-03-29T03:00:00+02:00. */
export function localIso(instantMs: number, zone: string): string {
  const off = Math.round(offsetMs(instantMs, zone) / MINUTE_MS);
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${wallIso(instantMs + off * MINUTE_MS)}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Weekday (0 = Monday) of a date. */
export function weekdayOf(year: number, month: number, day: number): number {
  return (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
}
