/**
 * Where reported Scheduled Events are kept: `scheduledeventstoretable`, one partition per VM (its lower-cased
 * row-key form), one row per event, upserted as the agent reports changes (Scheduled → Started). Events that hold the
 * scheduler off also get a row in the `windows` partition, so the executor reads every open window with one query.
 */
import { createdOnFirstUse, tableDate } from "./storageClients";
import { odata, type TableClient } from "@azure/data-tables";
import type { ScheduledEventReport } from "../platformEvents/eventReport";
import { maintenanceWindow } from "../platformEvents/maintenanceWindow";
import type { MaintenanceCalendar, MaintenanceWindow } from "../engine/ports";

const WINDOWS_PARTITION = "windows";

export const SCHEDULED_EVENTS_TABLE = "scheduledeventstoretable";

export interface StoredScheduledEvent {
  eventId: string;
  eventType: string;
  status: string;
  notBefore?: Date;
  durationSeconds: number;
  description: string;
  source: string;
  receivedAt: Date;
}

export class TableScheduledEventStore implements MaintenanceCalendar {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async record(report: ScheduledEventReport, receivedAt: Date): Promise<void> {
    await this.created();
    await this.table.upsertEntity({
      partitionKey: partitionOf(report.vmKey), rowKey: report.eventId, vmId: report.vmKey, eventType: report.eventType,
      status: report.status, notBefore: report.notBefore, durationSeconds: report.durationSeconds, description: report.description,
      source: report.source, documentIncarnation: report.documentIncarnation, receivedAt,
    }, "Replace");
    const window = maintenanceWindow(report, receivedAt);
    if (window) {
      await this.table.upsertEntity({
        partitionKey: WINDOWS_PARTITION, rowKey: `${partitionOf(report.vmKey)}|${report.eventId}`, vmKey: report.vmKey, eventId: report.eventId,
        eventType: report.eventType, start: window.start, end: window.end,
      }, "Replace");
    }
  }

  async openWindows(now: Date): Promise<MaintenanceWindow[]> {
    await this.created();
    const out: MaintenanceWindow[] = [];
    const query = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${WINDOWS_PARTITION} and end ge ${now}` } });
    for await (const e of query) {
      out.push({ vmKey: String(e.vmKey), eventId: String(e.eventId), eventType: String(e.eventType), start: tableDate(e.start), end: tableDate(e.end) });
    }
    return out;
  }

  async listForVm(vmKey: string): Promise<StoredScheduledEvent[]> {
    await this.created();
    const out: StoredScheduledEvent[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionOf(vmKey)}` } })) {
      out.push({
        eventId: e.rowKey as string, eventType: e.eventType as string, status: e.status as string,
        notBefore: tableDate(e.notBefore, "optional"), durationSeconds: Number(e.durationSeconds ?? -1),
        description: String(e.description ?? ""), source: String(e.source ?? ""), receivedAt: tableDate(e.receivedAt),
      });
    }
    return out;
  }
}

/** Row keys and partition keys may not contain '/': the VM key with '/' replaced, as the request store does. */
function partitionOf(vmKey: string): string {
  return `vm${vmKey.replace(/\//g, "|")}`;
}

