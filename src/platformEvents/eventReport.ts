/**
 * What a VM's scheduled-events agent reports (POST /api/events): the VM and one Scheduled Event as IMDS showed it.
 * Pure validation that names every bad field, like the Scheduled payload's.
 */
import { parseVmId, vmKey, type VmRef } from "../domain/resourceId";
import type { FieldProblem, ParseResult } from "../domain/scheduledRequest";

export const SCHEDULED_EVENT_TYPES = ["Freeze", "Reboot", "Redeploy", "Preempt", "Terminate"] as const;
export type ScheduledEventType = (typeof SCHEDULED_EVENT_TYPES)[number];

export interface ScheduledEventReport {
  vm: VmRef;
  vmKey: string;
  eventId: string;
  eventType: ScheduledEventType;
  status: "Scheduled" | "Started";
  /** When the event may start at the earliest; undefined once it started (IMDS then shows an empty NotBefore). */
  notBefore?: Date;
  /** -1 when IMDS does not know. */
  durationSeconds: number;
  description: string;
  source: string;
  resources: string[];
  documentIncarnation: number;
}

const EVENT_ID = /^[0-9A-Za-z-]{1,64}$/;
/**
 * DurationInSeconds above this (a day) is no maintenance IMDS announces: kept as this many seconds (the window it opens
 * is capped further per kind, maintenanceWindow.ts). Values like 1e9 or 1e20 are accepted, never stored as they came.
 */
export const REPORTED_DURATION_CAP_SECONDS = 24 * 3600;
/** Table storage keeps integers as 32-bit: an incarnation beyond that is no IMDS document's. */
const MAX_INCARNATION = 2_147_483_647;
/** NotBefore outside these years is no announcement (and Table storage keeps dates from 1601 to 9999 only). */
const NOT_BEFORE_YEARS = { min: 2000, max: 9999 } as const;

export function parseEventReport(body: unknown): ParseResult<ScheduledEventReport> {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!isObject(body)) return { ok: false, problems: [{ field: "(body)", message: "must be a JSON object {vmId, event: {...}} as the agent sends it" }] };
  const vm = typeof body.vmId === "string" ? parseVmId(body.vmId) : undefined;
  if (!vm) add("vmId", "must be the VM's full resource ID (/subscriptions/…/providers/Microsoft.Compute/virtualMachines/<name>)");
  const incarnation = body.documentIncarnation ?? 0;
  if (typeof incarnation !== "number" || !Number.isInteger(incarnation) || incarnation < 0 || incarnation > MAX_INCARNATION) add("documentIncarnation", `must be an integer from 0 to ${MAX_INCARNATION}`);
  const event = body.event;
  if (!isObject(event)) {
    add("event", "must be the Scheduled Event object as IMDS returned it");
    return { ok: false, problems };
  }
  const eventId = event.EventId;
  if (typeof eventId !== "string" || !EVENT_ID.test(eventId)) add("event.EventId", "must be the event's ID (letters, digits and dashes)");
  const eventType = event.EventType;
  if (!SCHEDULED_EVENT_TYPES.includes(eventType as ScheduledEventType)) add("event.EventType", `must be one of ${SCHEDULED_EVENT_TYPES.join(", ")}`);
  const status = event.EventStatus;
  if (status !== "Scheduled" && status !== "Started") add("event.EventStatus", 'must be "Scheduled" or "Started"');
  let notBefore: Date | undefined;
  if (typeof event.NotBefore === "string" && event.NotBefore.trim() !== "") {
    notBefore = new Date(event.NotBefore.slice(0, 100));
    const year = notBefore.getUTCFullYear();
    if (Number.isNaN(notBefore.getTime()) || year < NOT_BEFORE_YEARS.min || year > NOT_BEFORE_YEARS.max) {
      add("event.NotBefore", 'must be a date such as "Mon, 19 Sep 2023 18:00:00 GMT", or empty once the event started');
    }
  } else if (event.NotBefore !== undefined && event.NotBefore !== "" && event.NotBefore !== null) {
    add("event.NotBefore", "must be a string");
  }
  const duration = event.DurationInSeconds ?? -1;
  if (typeof duration !== "number" || !Number.isInteger(duration) || duration < -1) add("event.DurationInSeconds", "must be an integer ≥ -1");
  const resources = event.Resources ?? [];
  if (!Array.isArray(resources) || resources.some((r) => typeof r !== "string")) add("event.Resources", "must be an array of VM names");
  if (vm && Array.isArray(resources) && !resources.some((r) => typeof r === "string" && r.toLowerCase() === vm.name.toLowerCase())) {
    add("event.Resources", `does not include ${vm.name}: an agent reports only its own VM's events`);
  }
  if (problems.length > 0 || !vm) return { ok: false, problems };
  return {
    ok: true,
    value: {
      vm, vmKey: vmKey(vm), eventId: eventId as string, eventType: eventType as ScheduledEventType, status: status as "Scheduled" | "Started",
      notBefore, durationSeconds: Math.min(duration as number, REPORTED_DURATION_CAP_SECONDS), description: String(event.Description ?? "").slice(0, 2000),
      source: String(event.EventSource ?? "Platform").slice(0, 40), resources: resources as string[], documentIncarnation: incarnation as number,
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
