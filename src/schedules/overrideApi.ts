/**
 * POST /api/vms/{id}/override {"state": "running" | "stopped", "until": "<ISO>"} holds a VM against its schedule
 * until then; DELETE /api/vms/{id}/override lifts it. The ScheduleEvaluator honours it on its next tick (decision.ts),
 * GET /api/vms/{id} shows it. Plain answers, as scheduleApi.ts.
 */
import type { FieldProblem } from "../domain/scheduledRequest";
import type { Override } from "./decision";
import type { ApiAnswer } from "./scheduleApi";
import type { ScheduleStateStore } from "./scheduleStateStore";

/** The longest an override may hold. */
export const OVERRIDE_MAX_DAYS = 31;

export function overrideView(o: Override, now: Date) {
  return { state: o.state, until: o.until.toISOString(), source: o.source, active: o.until.getTime() > now.getTime() };
}

export async function putOverride(states: ScheduleStateStore, vmKey: string, vmId: string, body: unknown, now: Date): Promise<ApiAnswer> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { kind: "invalid", problems: [{ field: "(body)", message: 'must be a JSON object: {"state": "running", "until": "2026-03-02T22:00:00Z"}' }] };
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const key of Object.keys(b)) if (key !== "state" && key !== "until") problems.push({ field: key, message: "is not a field of an override (known: state, until)" });
  if (b.state !== "running" && b.state !== "stopped") problems.push({ field: "state", message: "must be running or stopped" });
  const until = typeof b.until === "string" && /(Z|[+-]\d{2}:\d{2})$/.test(b.until) ? new Date(b.until) : new Date(NaN);
  if (Number.isNaN(until.getTime())) problems.push({ field: "until", message: "must be an ISO 8601 instant with a zone, e.g. 2026-03-02T22:00:00Z" });
  else if (until.getTime() <= now.getTime()) problems.push({ field: "until", message: `must be in the future (now is ${now.toISOString()})` });
  else if (until.getTime() - now.getTime() > OVERRIDE_MAX_DAYS * 86_400_000) problems.push({ field: "until", message: `at most ${OVERRIDE_MAX_DAYS} days ahead` });
  if (problems.length > 0) return { kind: "invalid", problems };
  const override: Override = { state: b.state as Override["state"], until, source: "POST /api/vms/{id}/override" };
  await states.putOverride(vmKey, override);
  return { kind: "ok", status: 200, body: { id: vmId, override: overrideView(override, now) } };
}

export async function deleteOverride(states: ScheduleStateStore, vmKey: string, vmId: string): Promise<ApiAnswer> {
  return (await states.deleteOverride(vmKey))
    ? { kind: "ok", status: 204 }
    : { kind: "problem", status: 404, title: "No override", detail: `${vmId} has no override set through the API.` };
}
