/**
 * The schedules API's work, behind the thin HTTP functions: validate, read or write the store, answer. The
 * answers are plain values (the function files turn them into HTTP responses); time comes from the caller.
 *
 *   PUT    /api/schedules/{name}                   create or replace (201 / 200)
 *   GET    /api/schedules                          all of them
 *   GET    /api/schedules/{name}                   one, with its next transitions
 *   DELETE /api/schedules/{name}                   204, or 404
 *   GET    /api/schedules/{name}/preview?from=&to= the transitions in [from, to), as UTC and local times
 *   POST   /api/schedules/evaluate                 what a schedule (inline or stored) wants at an instant; writes nothing
 */
import type { FieldProblem } from "../domain/scheduledRequest";
import { scheduleStateAt, transitionsBetween, type Transition } from "./evaluate";
import { parseSchedule, SCHEDULE_NAME, type Schedule } from "./schedule";
import type { ScheduleStore, StoredSchedule } from "./scheduleStore";

export type ApiAnswer =
  | { kind: "ok"; status: number; body?: unknown }
  | { kind: "invalid"; problems: FieldProblem[] }
  | { kind: "problem"; status: number; title: string; detail: string };

const DAY_MS = 86_400_000;
/** The longest window a preview answers for. */
export const PREVIEW_MAX_DAYS = 366;
const PREVIEW_DEFAULT_DAYS = 7;

const ok = (status: number, body?: unknown): ApiAnswer => ({ kind: "ok", status, body });
const invalid = (...problems: FieldProblem[]): ApiAnswer => ({ kind: "invalid", problems });
const notFound = (name: string): ApiAnswer => ({ kind: "problem", status: 404, title: "Unknown schedule", detail: `No schedule is named "${name.slice(0, 80)}"; PUT /api/schedules/${encodeURIComponent(name.slice(0, 80))} creates it.` });

export function transitionView(t: Transition) {
  return { at: t.at.toISOString(), local: t.local, state: t.state === "any" ? "unchanged" : t.state, from: t.from === "any" ? "unchanged" : t.from, period: t.period ?? null, reason: t.reason };
}

function scheduleView(stored: StoredSchedule, now: Date) {
  const parsed = parseSchedule(stored.input, stored.input.name);
  const next = parsed.ok ? transitionsBetween(parsed.schedule, now, new Date(now.getTime() + 8 * DAY_MS)).slice(0, 2).map(transitionView) : [];
  return { ...stored.input, ianaTimeZone: parsed.ok ? parsed.schedule.zone : undefined, updatedAt: stored.updatedAt.toISOString(), nextTransitions: next };
}

function checkName(name: string): FieldProblem | undefined {
  return SCHEDULE_NAME.test(name) ? undefined : { field: "name (path)", message: "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit" };
}

/** A stored schedule, parsed; undefined when there is none. A stored body that no longer parses is reported. */
export async function loadSchedule(store: ScheduleStore, name: string): Promise<{ stored: StoredSchedule; schedule: Schedule } | undefined> {
  const stored = await store.get(name);
  if (!stored) return undefined;
  const parsed = parseSchedule(stored.input, stored.input.name);
  if (!parsed.ok) throw new Error(`stored schedule "${name}" no longer validates: ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`);
  return { stored, schedule: parsed.schedule };
}

export async function putSchedule(store: ScheduleStore, name: string, body: unknown, now: Date): Promise<ApiAnswer> {
  const parsed = parseSchedule(body, name);
  if (!parsed.ok) return invalid(...parsed.problems);
  const { created } = await store.put(parsed.schedule.input, now);
  return ok(created ? 201 : 200, scheduleView({ input: parsed.schedule.input, updatedAt: now }, now));
}

export async function getSchedule(store: ScheduleStore, name: string, now: Date): Promise<ApiAnswer> {
  const bad = checkName(name);
  if (bad) return invalid(bad);
  const stored = await store.get(name);
  return stored ? ok(200, scheduleView(stored, now)) : notFound(name);
}

export async function listSchedules(store: ScheduleStore, now: Date): Promise<ApiAnswer> {
  const all = await store.list();
  return ok(200, { schedules: all.map((s) => scheduleView(s, now)) });
}

export async function deleteSchedule(store: ScheduleStore, name: string): Promise<ApiAnswer> {
  const bad = checkName(name);
  if (bad) return invalid(bad);
  return (await store.delete(name)) ? ok(204) : notFound(name);
}

function parseInstant(value: string | null | undefined, field: string, problems: FieldProblem[]): Date | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const d = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) {
    problems.push({ field, message: "must be an ISO 8601 instant with a zone, e.g. 2026-03-29T00:00:00Z or 2026-03-29T00:00:00+01:00" });
    return undefined;
  }
  return d;
}

export async function previewSchedule(store: ScheduleStore, name: string, query: { from?: string | null; to?: string | null }, now: Date): Promise<ApiAnswer> {
  const problems: FieldProblem[] = [];
  const bad = checkName(name);
  if (bad) problems.push(bad);
  const from = parseInstant(query.from, "from (query)", problems) ?? now;
  const to = parseInstant(query.to, "to (query)", problems) ?? new Date(from.getTime() + PREVIEW_DEFAULT_DAYS * DAY_MS);
  if (problems.length === 0 && to.getTime() <= from.getTime()) problems.push({ field: "to (query)", message: "must be after from" });
  if (problems.length === 0 && to.getTime() - from.getTime() > PREVIEW_MAX_DAYS * DAY_MS) problems.push({ field: "to (query)", message: `at most ${PREVIEW_MAX_DAYS} days after from` });
  if (problems.length > 0) return invalid(...problems);
  const loaded = await loadSchedule(store, name);
  if (!loaded) return notFound(name);
  const { schedule } = loaded;
  return ok(200, {
    schedule: schedule.name, timezone: schedule.input.timezone, ianaTimeZone: schedule.zone, from: from.toISOString(), to: to.toISOString(),
    stateAtFrom: stateName(scheduleStateAt(schedule, from).state),
    transitions: transitionsBetween(schedule, from, to).map(transitionView),
  });
}

const stateName = (s: "running" | "stopped" | "any") => (s === "any" ? "unchanged" : s);

export async function evaluateSchedule(store: ScheduleStore, body: unknown, now: Date): Promise<ApiAnswer> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid({ field: "(body)", message: 'must be a JSON object: {"schedule": {...} or "<name>", "at": "<ISO instant>"}' });
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(b)) if (key !== "schedule" && key !== "at") problems.push({ field: key, message: "is not a field of evaluate (known: schedule, at)" });
  const at = typeof b.at === "string" || b.at === undefined ? parseInstant(b.at as string | undefined, "at", problems) ?? now : (problems.push({ field: "at", message: "must be an ISO 8601 instant string" }), now);
  let schedule: Schedule | undefined;
  let stored = false;
  if (typeof b.schedule === "string") {
    if (!SCHEDULE_NAME.test(b.schedule)) problems.push({ field: "schedule", message: "must be a stored schedule's name or a schedule object" });
    else if (problems.length === 0) {
      const loaded = await loadSchedule(store, b.schedule);
      if (!loaded) return notFound(b.schedule);
      schedule = loaded.schedule;
      stored = true;
    }
  } else if (typeof b.schedule === "object" && b.schedule !== null && !Array.isArray(b.schedule)) {
    const inline = b.schedule as Record<string, unknown>;
    const parsed = parseSchedule(inline, typeof inline.name === "string" ? inline.name : "inline");
    if (parsed.ok) schedule = parsed.schedule;
    else problems.push(...parsed.problems.map((p) => ({ field: `schedule.${p.field === "name (path)" ? "name" : p.field}`, message: p.message })));
  } else problems.push({ field: "schedule", message: "is required: a schedule object ({\"timezone\":...,\"periods\":[...]}) or a stored schedule's name" });
  if (problems.length > 0 || !schedule) return invalid(...problems);
  const s = scheduleStateAt(schedule, at);
  return ok(200, { desiredState: stateName(s.state), period: s.period ?? null, localTime: s.localTime, timezone: schedule.zone, at: at.toISOString(), reason: s.reason, schedule: stored ? schedule.name : undefined });
}
