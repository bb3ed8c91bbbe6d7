/**
 * What Azure records about a VM's life outside the VM: Activity Log events (Azure Monitor REST 2015-04-01,
 * `eventtypes/management/values`) and Resource Health availability statuses (2025-04-01), in the shapes the public
 * specs define. A caller's start/deallocate/powerOff/restart becomes an Administrative event pair (Started, then
 * Succeeded or Failed) naming the caller; a Spot eviction becomes the two ResourceHealth events Azure writes
 * (Informational, then Critical: "Low priority machine preempted", cause PlatformInitiated). See
 * docs/platform-events.md.
 */
import { createHash } from "node:crypto";
import type { ActionKind, Operation, SimVm } from "./operations";

export interface ActivityEvent {
  time: number;
  vm: SimVm;
  category: "Administrative" | "ResourceHealth";
  level: "Informational" | "Critical" | "Error";
  operationName: string;
  status: "Started" | "Succeeded" | "Failed" | "Active";
  caller?: string;
  correlationId: string;
  properties: Record<string, string>;
}

const OPERATION_NAMES: Partial<Record<ActionKind, string>> = {
  start: "Microsoft.Compute/virtualMachines/start/action",
  deallocate: "Microsoft.Compute/virtualMachines/deallocate/action",
  hibernate: "Microsoft.Compute/virtualMachines/deallocate/action",
  powerOff: "Microsoft.Compute/virtualMachines/powerOff/action",
  restart: "Microsoft.Compute/virtualMachines/restart/action",
};

export class ActivityLog {
  private events: ActivityEvent[] = [];

  /** A power action someone asked for: Started now, Succeeded/Failed when the operation ends. */
  recordAction(op: Operation, caller: string): void {
    if (op.kind === "simulateEviction") return this.recordEviction(op.vm, op.startTime, op.id);
    const operationName = OPERATION_NAMES[op.kind];
    if (!operationName) return;
    const base = { vm: op.vm, category: "Administrative" as const, operationName, caller, correlationId: op.id, properties: {} };
    this.events.push({ ...base, time: op.startTime, level: "Informational", status: "Started" });
    this.events.push({ ...base, time: op.endTime, level: op.error ? "Error" : "Informational", status: op.error ? "Failed" : "Succeeded" });
  }

  /** The platform took a Spot VM back. */
  recordEviction(vm: SimVm, time: number, correlationId: string): void {
    const properties = {
      title: "Low priority machine preempted",
      details: "This virtual machine has been preempted. This low-priority virtual machine is being stopped and deallocated.",
      currentHealthStatus: "Unavailable",
      previousHealthStatus: "Available",
      type: "Downtime",
      cause: "PlatformInitiated",
    };
    const base = { vm, category: "ResourceHealth" as const, operationName: "Microsoft.Resourcehealth/healthevent/Activated/action", status: "Active" as const, correlationId, properties };
    this.events.push({ ...base, time, level: "Informational" });
    this.events.push({ ...base, time: time + 2_000, level: "Critical" });
  }

  /** Events of a subscription matching the filter, up to `now` (an operation's end is not visible before it ends). */
  query(subscriptionId: string, filter: ActivityFilter, now: number): ActivityEvent[] {
    return this.events.filter((e) =>
      e.time <= now && e.time >= filter.from && e.time <= filter.to &&
      e.vm.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
      (!filter.resourceGroupName || e.vm.resourceGroup.toLowerCase() === filter.resourceGroupName.toLowerCase()) &&
      (!filter.resourceUri || e.vm.id.toLowerCase() === filter.resourceUri.toLowerCase()) &&
      (!filter.resourceProvider || filter.resourceProvider.toLowerCase() === (e.category === "ResourceHealth" ? "microsoft.resourcehealth" : "microsoft.compute")) &&
      (!filter.correlationId || e.correlationId === filter.correlationId));
  }

  /** The latest health-relevant event of a VM (what availabilityStatuses/current summarises). */
  latestFor(vm: SimVm, now: number): ActivityEvent | undefined {
    let latest: ActivityEvent | undefined;
    for (const e of this.events) if (e.vm === vm && e.time <= now && (!latest || e.time >= latest.time)) latest = e;
    return latest;
  }

  clear(): void {
    this.events = [];
  }
}

export interface ActivityFilter {
  from: number;
  to: number;
  resourceGroupName?: string;
  resourceUri?: string;
  resourceProvider?: string;
  correlationId?: string;
}

/**
 * The `$filter` the Activity Log API accepts: `eventTimestamp ge '<t>' and eventTimestamp le '<t>'`, optionally
 * `and` one of resourceGroupName, resourceUri, resourceProvider, correlationId `eq '<v>'`; nothing else.
 */
export function parseActivityFilter(filter: string | null): ActivityFilter | { error: string } {
  if (!filter) return { error: "The $filter query parameter is required, with eventTimestamp ge '<start>' and eventTimestamp le '<end>'." };
  const clauses = filter.split(/\s+and\s+/i).map((c) => c.trim());
  const out: Partial<ActivityFilter> = {};
  for (const clause of clauses) {
    const m = /^(\w+)\s+(ge|le|eq)\s+'([^']*)'$/i.exec(clause);
    if (!m) return { error: `The $filter clause '${clause}' is not supported.` };
    const [, field, op, value] = m as unknown as [string, string, string, string];
    const name = field.toLowerCase();
    if (name === "eventtimestamp" && (op.toLowerCase() === "ge" || op.toLowerCase() === "le")) {
      const t = Date.parse(value);
      if (Number.isNaN(t)) return { error: `'${value}' is not a valid date time.` };
      if (op.toLowerCase() === "ge") out.from = t;
      else out.to = t;
    } else if (op.toLowerCase() === "eq" && ["resourcegroupname", "resourceuri", "resourceprovider", "correlationid"].includes(name)) {
      const key = { resourcegroupname: "resourceGroupName", resourceuri: "resourceUri", resourceprovider: "resourceProvider", correlationid: "correlationId" }[name] as keyof ActivityFilter;
      (out as Record<string, unknown>)[key] = value;
    } else {
      return { error: `The $filter field '${field}' with operator '${op}' is not supported.` };
    }
  }
  if (out.from === undefined) return { error: "The $filter must contain eventTimestamp ge '<start>'." };
  return { from: out.from, to: out.to ?? Number.MAX_SAFE_INTEGER, ...out } as ActivityFilter;
}

/** One event as `EventData` (Azure Monitor 2015-04-01). */
export function eventDataJson(e: ActivityEvent, index: number): unknown {
  const provider = e.category === "ResourceHealth" ? "Microsoft.Resourcehealth/healthevent" : "Microsoft.Compute";
  const eventDataId = createHash("sha1").update(`${e.correlationId}|${e.time}|${e.status}|${index}`).digest("hex");
  return {
    authorization: e.category === "Administrative" ? { action: e.operationName, scope: e.vm.id } : undefined,
    caller: e.caller,
    channels: "Operation",
    correlationId: e.correlationId,
    description: "",
    eventDataId,
    eventName: { value: e.category === "ResourceHealth" ? "" : e.status === "Started" ? "BeginRequest" : "EndRequest", localizedValue: "" },
    category: { value: e.category, localizedValue: e.category === "ResourceHealth" ? "Resource Health" : "Administrative" },
    id: `${e.vm.id}/events/${eventDataId}/ticks/${e.time * 10_000}`,
    level: e.level,
    operationId: e.correlationId,
    operationName: { value: e.operationName, localizedValue: e.operationName },
    resourceGroupName: e.vm.resourceGroup,
    resourceProviderName: { value: provider, localizedValue: provider },
    resourceType: { value: "Microsoft.Compute/virtualMachines", localizedValue: "Microsoft.Compute/virtualMachines" },
    resourceId: e.vm.id,
    status: { value: e.status, localizedValue: e.status },
    subStatus: { value: "", localizedValue: "" },
    eventTimestamp: new Date(e.time).toISOString(),
    submissionTimestamp: new Date(e.time + 1_000).toISOString(),
    subscriptionId: e.vm.subscriptionId,
    properties: e.properties,
  };
}

/** `availabilityStatuses/current` of a VM, from its power state and its latest event. */
export function availabilityStatusJson(vm: SimVm, powerState: string, latest: ActivityEvent | undefined, now: number): unknown {
  const evicted = latest?.category === "ResourceHealth";
  const userStopped = !evicted && latest?.category === "Administrative" && /deallocate|powerOff/i.test(latest.operationName);
  const available = powerState === "running";
  const properties = available
    ? { availabilityState: "Available", summary: "There aren't any known Azure platform problems affecting this virtual machine.", reasonType: "", context: "", category: "" }
    : evicted
      ? { availabilityState: "Unavailable", title: latest!.properties.title, summary: latest!.properties.details, reasonType: "Unplanned", context: "Platform Initiated", category: "Unplanned" }
      : { availabilityState: "Unavailable", title: "Stopped and deallocated", summary: "This virtual machine is stopped and deallocated as requested by an authorized user or process.", reasonType: userStopped ? "UserInitiated" : "", context: userStopped ? "User Initiated" : "", category: userStopped ? "UserInitiated" : "" };
  return {
    id: `${vm.id}/providers/Microsoft.ResourceHealth/availabilityStatuses/current`,
    name: "current",
    type: "Microsoft.ResourceHealth/AvailabilityStatuses",
    location: vm.location,
    properties: {
      ...properties,
      detailedStatus: "",
      reasonChronicity: available ? "" : "Persistent",
      occuredTime: new Date(latest?.time ?? now).toISOString(),
      reportedTime: new Date(now).toISOString(),
    },
  };
}
