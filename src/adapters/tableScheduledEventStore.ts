/**
 * Where reported Scheduled Events are kept: `scheduledeventstoretable`, one partition per VM (its lower-cased
 * row-key form), one row per event, upserted as the agent reports changes (Scheduled → Started).
 */
import { createdOnFirstUse } from "./storageClients";
import { odata, type TableClient } from "@azure/data-tables";
import type { ScheduledEventReport } from "../platformEvents/eventReport";

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

export class TableScheduledEventStore {
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
  }

  async listForVm(vmKey: string): Promise<StoredScheduledEvent[]> {
    await this.created();
    const out: StoredScheduledEvent[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionOf(vmKey)}` } })) {
      out.push({
        eventId: e.rowKey as string, eventType: e.eventType as string, status: e.status as string,
        notBefore: e.notBefore ? new Date(e.notBefore as string) : undefined, durationSeconds: Number(e.durationSeconds ?? -1),
        description: String(e.description ?? ""), source: String(e.source ?? ""), receivedAt: new Date(e.receivedAt as string),
      });
    }
    return out;
  }
}

/** Row keys and partition keys may not contain '/': the VM key with '/' replaced, as the request store does. */
function partitionOf(vmKey: string): string {
  return `vm${vmKey.replace(/\//g, "|")}`;
}
