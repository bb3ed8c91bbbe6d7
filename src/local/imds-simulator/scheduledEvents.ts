/**
 * Scheduled Events as one VM's Instance Metadata Service shows them (docs/platform-events.md): a document with a
 * DocumentIncarnation that changes whenever the set of events or any event's status changes, events that start at
 * their NotBefore time (or earlier once approved with StartRequests) and disappear when they are done.
 * Pure and lazy: the state is evaluated against the `now` each call passes in.
 */

export const EVENT_TYPES = ["Freeze", "Reboot", "Redeploy", "Preempt", "Terminate"] as const;
export type ScheduledEventType = (typeof EVENT_TYPES)[number];

export interface ScheduledEventInput {
  eventType: ScheduledEventType;
  /** Seconds from now until NotBefore; defaults to the documented minimum notice of the type. */
  noticeSeconds?: number;
  /** How long the event runs once started (seconds); -1 = unknown, as IMDS reports it for some types. */
  durationSeconds?: number;
  /** VM names the event applies to (IMDS lists names, not resource IDs). */
  resources: string[];
  description?: string;
  eventSource?: "Platform" | "User";
}

/** Minimum notice per type, seconds (Learn: "Azure Metadata Service: Scheduled Events for Linux VMs"). */
export const MINIMUM_NOTICE_SECONDS: Record<ScheduledEventType, number> = {
  Freeze: 15 * 60,
  Reboot: 15 * 60,
  Redeploy: 10 * 60,
  Preempt: 30,
  Terminate: 5 * 60,
};

interface EventState {
  id: string;
  input: ScheduledEventInput;
  notBefore: number;
  /** Set when the event started (approved, or NotBefore passed). */
  startedAt?: number;
  approvedAt?: number;
}

export interface ScheduledEventView {
  EventId: string;
  EventType: ScheduledEventType;
  ResourceType: "VirtualMachine";
  Resources: string[];
  EventStatus: "Scheduled" | "Started";
  NotBefore: string;
  Description: string;
  EventSource: "Platform" | "User";
  DurationInSeconds: number;
}

export interface ScheduledEventsDocument {
  DocumentIncarnation: number;
  Events: ScheduledEventView[];
}

export interface ApprovalRecord {
  eventId: string;
  at: number;
}

export class ScheduledEventsModel {
  private events: EventState[] = [];
  private incarnation = 0;
  private lastSignature = "";
  private counter = 0;
  readonly approvals: ApprovalRecord[] = [];

  schedule(input: ScheduledEventInput, now: number): string {
    if (!EVENT_TYPES.includes(input.eventType)) throw new Error(`eventType must be one of ${EVENT_TYPES.join(", ")}`);
    if (!Array.isArray(input.resources) || input.resources.length === 0) throw new Error("resources must name at least one VM");
    const id = `${(++this.counter).toString(16).padStart(8, "0")}-5e5e-4000-8000-${now.toString(16).padStart(12, "0").slice(-12)}`;
    const notice = input.noticeSeconds ?? MINIMUM_NOTICE_SECONDS[input.eventType];
    this.events.push({ id, input, notBefore: now + notice * 1000 });
    return id;
  }

  /**
   * StartRequests: each known, still-scheduled event starts now (IMDS answers 200 for any well-formed request).
   * Returns false when the body is malformed (IMDS: 400).
   */
  approve(body: unknown, now: number): boolean {
    const requests = (body as { StartRequests?: unknown } | null)?.StartRequests;
    if (!Array.isArray(requests)) return false;
    const ids: string[] = [];
    for (const r of requests) {
      const id = (r as { EventId?: unknown } | null)?.EventId;
      if (typeof id !== "string") return false;
      ids.push(id);
    }
    this.advance(now);
    for (const id of ids) {
      this.approvals.push({ eventId: id, at: now });
      const event = this.events.find((e) => e.id === id);
      if (event && event.startedAt === undefined) {
        event.approvedAt = now;
        event.startedAt = now;
      }
    }
    return true;
  }

  document(now: number): ScheduledEventsDocument {
    this.advance(now);
    const Events = this.events.map((e): ScheduledEventView => ({
      EventId: e.id,
      EventType: e.input.eventType,
      ResourceType: "VirtualMachine",
      Resources: e.input.resources,
      EventStatus: e.startedAt === undefined ? "Scheduled" : "Started",
      // IMDS shows NotBefore in RFC 1123 form; a started event's NotBefore is empty in the docs' samples.
      NotBefore: e.startedAt === undefined ? new Date(e.notBefore).toUTCString() : "",
      Description: e.input.description ?? `${e.input.eventType} scheduled by the platform`,
      EventSource: e.input.eventSource ?? "Platform",
      DurationInSeconds: e.input.durationSeconds ?? -1,
    }));
    const signature = JSON.stringify(Events);
    if (signature !== this.lastSignature) {
      this.incarnation++;
      this.lastSignature = signature;
    }
    return { DocumentIncarnation: this.incarnation, Events };
  }

  clear(): void {
    this.events = [];
    this.approvals.length = 0;
  }

  /** Events start at NotBefore and vanish once their duration has passed (unknown duration: 1 s). */
  private advance(now: number): void {
    for (const e of this.events) if (e.startedAt === undefined && now >= e.notBefore) e.startedAt = e.notBefore;
    this.events = this.events.filter((e) => {
      if (e.startedAt === undefined) return true;
      const duration = Math.max(1, e.input.durationSeconds ?? -1) * 1000;
      return now < e.startedAt + duration;
    });
  }
}
