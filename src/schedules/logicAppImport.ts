/**
 * Turning v2 Logic Apps into a schedule: each Logic App's Recurrence trigger (frequency Day or Week, interval 1,
 * schedule.hours/minutes/weekDays, a Windows timeZone) and the Action of the body it posts (start or stop). A start
 * and a stop on the same days become one period from the start to the stop; a lone start or stop becomes a one-sided
 * period. Pure: takes the parsed JSON (a workflow as `az logic workflow show` prints it, its `definition`, or an ARM
 * template holding Microsoft.Logic/workflows resources).
 */
import type { PeriodInput, ScheduleInput } from "./schedule";
import { parseSchedule } from "./schedule";

export interface ImportedRecurrence {
  source: string;
  action: "start" | "stop";
  timeZone: string;
  weekDays?: string[];
  times: string[];
  scopes?: unknown;
}

export type ImportResult = { ok: true; schedule: ScheduleInput; notes: string[] } | { ok: false; errors: string[] };

const WEEKDAYS: Record<string, string> = { monday: "mon", tuesday: "tue", wednesday: "wed", thursday: "thu", friday: "fri", saturday: "sat", sunday: "sun" };

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Every workflow definition inside a document: a workflow, its properties, a bare definition, or an ARM template's resources. */
function definitions(doc: unknown, name = "workflow"): { name: string; definition: Record<string, unknown> }[] {
  const d = obj(doc);
  if (!d) return [];
  if (Array.isArray(d.resources)) return (d.resources as unknown[]).flatMap((r) => definitions(r, String(obj(r)?.name ?? name)));
  const props = obj(d.properties);
  if (props && obj(props.definition)) return [{ name: String(d.name ?? name), definition: obj(props.definition)! }];
  if (obj(d.definition)) return [{ name: String(d.name ?? name), definition: obj(d.definition)! }];
  if (obj(d.triggers)) return [{ name, definition: d }];
  return [];
}

/** The v2 body a workflow posts: the first action (at any depth) with a body holding "Action". */
function postedBody(node: unknown): Record<string, unknown> | undefined {
  const o = obj(node);
  if (!o) return undefined;
  const body = obj(obj(o.inputs)?.body);
  if (body && typeof body.Action === "string") return body;
  for (const v of Object.values(o)) {
    const found = postedBody(v);
    if (found) return found;
  }
  return undefined;
}

export function readRecurrences(doc: unknown): { recurrences: ImportedRecurrence[]; errors: string[] } {
  const recurrences: ImportedRecurrence[] = [];
  const errors: string[] = [];
  const found = definitions(doc);
  if (found.length === 0) errors.push("no Logic App workflow definition found (expected a workflow JSON, its definition, or an ARM template with Microsoft.Logic/workflows)");
  for (const { name, definition } of found) {
    const trigger = Object.values(obj(definition.triggers) ?? {}).map(obj).find((t) => t?.type === "Recurrence");
    const rec = obj(trigger?.recurrence);
    if (!rec) {
      errors.push(`${name}: has no Recurrence trigger`);
      continue;
    }
    const body = postedBody(definition.actions);
    const action = typeof body?.Action === "string" ? body.Action.trim().toLowerCase() : undefined;
    if (action !== "start" && action !== "stop") {
      errors.push(`${name}: its body's Action must be start or stop (got ${JSON.stringify(body?.Action)})`);
      continue;
    }
    const frequency = String(rec.frequency ?? "");
    if (!/^(day|week)$/i.test(frequency) || (rec.interval !== undefined && Number(rec.interval) !== 1)) {
      errors.push(`${name}: a recurrence of every ${rec.interval ?? 1} ${frequency} cannot be a schedule; only daily or weekly recurrences with interval 1 can`);
      continue;
    }
    const schedule = obj(rec.schedule) ?? {};
    const hours = (Array.isArray(schedule.hours) ? schedule.hours : []).map(Number);
    const minutes = (Array.isArray(schedule.minutes) ? schedule.minutes : [0]).map(Number);
    if (hours.length === 0 || hours.some((h) => !Number.isInteger(h) || h < 0 || h > 23) || minutes.some((m) => !Number.isInteger(m) || m < 0 || m > 59)) {
      errors.push(`${name}: recurrence.schedule needs hours 0-23 (and minutes 0-59); a recurrence timed only by its startTime is not imported`);
      continue;
    }
    const days = Array.isArray(schedule.weekDays) ? (schedule.weekDays as unknown[]).map((d) => WEEKDAYS[String(d).toLowerCase()]) : undefined;
    if (days?.some((d) => d === undefined)) {
      errors.push(`${name}: weekDays must be Monday..Sunday (got ${JSON.stringify(schedule.weekDays)})`);
      continue;
    }
    const times = hours.flatMap((h) => minutes.map((m) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`)).sort();
    recurrences.push({ source: name, action, timeZone: String(rec.timeZone ?? "UTC"), weekDays: days as string[] | undefined, times, scopes: body?.RequestScopes });
  }
  return { recurrences, errors };
}

const sameDays = (a?: string[], b?: string[]) => JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/** One schedule from the recurrences of one or more Logic Apps (a start and a stop usually). */
export function importLogicApps(docs: unknown[], name: string): ImportResult {
  const all = docs.map(readRecurrences);
  const errors = all.flatMap((r) => r.errors);
  const recs = all.flatMap((r) => r.recurrences);
  if (errors.length > 0) return { ok: false, errors };
  if (recs.length === 0) return { ok: false, errors: ["nothing to import"] };
  const zones = new Set(recs.map((r) => r.timeZone));
  if (zones.size > 1) return { ok: false, errors: [`the Logic Apps use different time zones (${[...zones].join(", ")}); import each into its own schedule`] };
  const notes: string[] = [];
  const periods: PeriodInput[] = [];
  const starts = recs.filter((r) => r.action === "start");
  const stops = recs.filter((r) => r.action === "stop");
  const weekdays = (r: ImportedRecurrence) => (r.weekDays ? { weekdays: r.weekDays.join(",") } : {});
  const usedStops = new Set<ImportedRecurrence>();
  for (const start of starts) {
    const stop = stops.find((s) => !usedStops.has(s) && sameDays(s.weekDays, start.weekDays) && s.times.length === 1 && start.times.length === 1 && s.times[0]! > start.times[0]!);
    if (stop) {
      usedStops.add(stop);
      periods.push({ name: `${start.source}+${stop.source}`.slice(0, 64), beginTime: start.times[0], endTime: stop.times[0], ...weekdays(start) });
    } else {
      for (const t of start.times) periods.push({ name: `${start.source} ${t}`.slice(0, 64), beginTime: t, ...weekdays(start) });
      notes.push(`${start.source}: no stop on the same days after ${start.times.join(", ")}; imported as begin-only periods (running from then until the day ends)`);
    }
  }
  for (const stop of stops.filter((s) => !usedStops.has(s))) {
    for (const t of stop.times) periods.push({ name: `${stop.source} ${t}`.slice(0, 64), endTime: t, ...weekdays(stop) });
    notes.push(`${stop.source}: no matching start; imported as end-only periods (stopped from ${stop.times.join(", ")})`);
  }
  for (const r of recs) if (r.scopes !== undefined) notes.push(`${r.source}: its RequestScopes are not part of a schedule; tag those VMs or resource groups startstop-schedule=${name}`);
  const schedule: ScheduleInput = { name, timezone: [...zones][0]!, description: `Imported from the Logic Apps ${recs.map((r) => r.source).join(", ")}`.slice(0, 500), periods };
  const checked = parseSchedule(schedule, name);
  if (!checked.ok) return { ok: false, errors: checked.problems.map((p) => `${p.field}: ${p.message}`) };
  return { ok: true, schedule: checked.schedule.input, notes };
}
