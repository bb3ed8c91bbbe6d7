/**
 * Where reported Scheduled Events are kept: `scheduledeventstoretable`, one partition per VM (its lower-cased
 * row-key form), one row per event, upserted as the agent reports changes (Scheduled → Started), plus the VM's report
 * rate-limit bucket (row `~ratelimit`; event IDs cannot start with `~`). Events that hold the scheduler off also get a
 * row in a `windows|<day the window ends>` partition, so the executor reads every open window with one query over the
 * few days a window can reach (maintenanceWindow.ts bounds it), and the rows of days gone by are never read again.
 */
import { createdOnFirstUse, entityOrUndefined, storageAnswered, tableDate, unlessMissing } from "./storageClients";
import { odata, type TableClient } from "@azure/data-tables";
import type { ScheduledEventReport } from "../platformEvents/eventReport";
import { MAX_WINDOW_REACH_SECONDS, maintenanceWindow } from "../platformEvents/maintenanceWindow";
import { takeReportToken, type ReportAdmission, type ReportBucket } from "../platformEvents/reportRateLimit";
import type { ScheduledEventLog } from "../platformEvents/reportAdmission";
import type { MaintenanceCalendar, MaintenanceWindow } from "../engine/ports";

const WINDOWS_PARTITION_PREFIX = "windows|";
const RATE_LIMIT_ROW = "~ratelimit";
/** Tries at taking a token while concurrent reports of the same VM keep changing its bucket. */
const TOKEN_TRIES = 4;
const REFUSED_VMS_KEPT = 10_000;
/** Events kept per VM: far more than IMDS announces to one VM in months. */
export const EVENTS_KEPT_PER_VM = 50;

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

export class TableScheduledEventStore implements MaintenanceCalendar, ScheduledEventLog {
  private readonly created: () => Promise<void>;
  /**
   * VMs this instance found out of tokens, until their next token is due: a flood is refused without a storage read
   * (each instance reads the bucket once per refill). Forgotten wholesale past REFUSED_VMS_KEPT entries.
   */
  private readonly refusedUntil = new Map<string, number>();

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async takeReportToken(vmKey: string, now: Date): Promise<ReportAdmission> {
    const until = this.refusedUntil.get(vmKey);
    if (until !== undefined && now.getTime() < until) return { ok: false, retryAfterSeconds: Math.ceil((until - now.getTime()) / 1000) };
    await this.created();
    for (let tries = 0; tries < TOKEN_TRIES; tries++) {
      const row = await entityOrUndefined(this.table, partitionOf(vmKey), RATE_LIMIT_ROW);
      const bucket: ReportBucket | undefined = row && { tokens: Number(row.tokens ?? 0), at: tableDate(row.at) };
      const taken = takeReportToken(bucket, now);
      if (!taken.ok) {
        if (this.refusedUntil.size >= REFUSED_VMS_KEPT) this.refusedUntil.clear();
        this.refusedUntil.set(vmKey, now.getTime() + taken.retryAfterSeconds * 1000);
        return taken;
      }
      const entity = { partitionKey: partitionOf(vmKey), rowKey: RATE_LIMIT_ROW, tokens: taken.bucket.tokens, at: taken.bucket.at };
      try {
        if (row?.etag) await this.table.updateEntity(entity, "Replace", { etag: row.etag });
        else await this.table.createEntity(entity);
        return taken;
      } catch (error) {
        if (!storageAnswered(error, 409, 412)) throw error;
      }
    }
    // The bucket kept changing under us: this VM is reporting in parallel, which an agent never does.
    return { ok: false, retryAfterSeconds: 60 };
  }

  async record(report: ScheduledEventReport, receivedAt: Date): Promise<void> {
    await this.created();
    const partitionKey = partitionOf(report.vmKey);
    const window = maintenanceWindow(report, receivedAt);
    const windowPartition = window ? windowPartitionOf(window.end) : undefined;
    const windowRow = `${partitionKey}|${report.eventId}`;
    // The same event reported again (Scheduled → Started) may move its window to another day: drop the old row.
    const previous = await entityOrUndefined(this.table, partitionKey, report.eventId);
    const previousPartition = typeof previous?.windowPartition === "string" ? previous.windowPartition : undefined;
    await this.table.upsertEntity({
      partitionKey, rowKey: report.eventId, vmId: report.vmKey, eventType: report.eventType,
      status: report.status, notBefore: report.notBefore, durationSeconds: report.durationSeconds, description: report.description,
      source: report.source, documentIncarnation: report.documentIncarnation, receivedAt, windowPartition,
    }, "Replace");
    if (window && windowPartition) {
      await this.table.upsertEntity({
        partitionKey: windowPartition, rowKey: windowRow, vmKey: report.vmKey, eventId: report.eventId,
        eventType: report.eventType, start: window.start, end: window.end,
      }, "Replace");
    }
    if (previousPartition && previousPartition !== windowPartition) {
      await unlessMissing(() => this.table.deleteEntity(previousPartition, windowRow));
    }
    if (!previous) await this.forgetOldest(partitionKey);
  }

  /** Keeps a VM's newest EVENTS_KEPT_PER_VM events: what its page shows stays one read, whatever it reported. */
  private async forgetOldest(partitionKey: string): Promise<void> {
    const rows: { rowKey: string; receivedAt: number }[] = [];
    const query = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ["RowKey", "receivedAt"] } });
    for await (const e of query) if (!String(e.rowKey).startsWith("~")) rows.push({ rowKey: String(e.rowKey), receivedAt: tableDate(e.receivedAt).getTime() });
    if (rows.length <= EVENTS_KEPT_PER_VM) return;
    rows.sort((a, b) => b.receivedAt - a.receivedAt);
    for (const old of rows.slice(EVENTS_KEPT_PER_VM)) await unlessMissing(() => this.table.deleteEntity(partitionKey, old.rowKey));
  }

  async openWindows(now: Date): Promise<MaintenanceWindow[]> {
    await this.created();
    const out: MaintenanceWindow[] = [];
    const first = windowPartitionOf(now);
    const last = windowPartitionOf(new Date(now.getTime() + MAX_WINDOW_REACH_SECONDS * 1000));
    const query = this.table.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey ge ${first} and PartitionKey le ${last} and end ge ${now}` },
    });
    for await (const e of query) {
      out.push({ vmKey: String(e.vmKey), eventId: String(e.eventId), eventType: String(e.eventType), start: tableDate(e.start), end: tableDate(e.end) });
    }
    return out;
  }

  async listForVm(vmKey: string): Promise<StoredScheduledEvent[]> {
    await this.created();
    const out: StoredScheduledEvent[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionOf(vmKey)}` } })) {
      if (String(e.rowKey).startsWith("~")) continue; // the rate-limit bucket
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

/** The partition of windows ending on this UTC day: `windows|2026-11-23`. */
function windowPartitionOf(end: Date): string {
  return `${WINDOWS_PARTITION_PREFIX}${end.toISOString().slice(0, 10)}`;
}
