/**
 * Where heartbeats are kept: `heartbeatstoretable`. The last result (GET /api/health reads it), and per version the
 * last time a heartbeat of that version passed (the guardian reads it: a version whose heartbeat passed is never rolled
 * back, and one that never passed did not start).
 */
import type { TableClient } from "@azure/data-tables";
import type { HeartbeatResult } from "../operations/heartbeat";
import { createdOnFirstUse, entityOrUndefined, tableDate, unlessMissing } from "./storageClients";

export const HEARTBEAT_TABLE = "heartbeatstoretable";
/** Partition of the per-version rows (row key: the version). */
const PASSED_PARTITION = "passedByVersion";

export class TableHeartbeatStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async save(result: HeartbeatResult): Promise<void> {
    await this.created();
    await this.table.upsertEntity({ partitionKey: "heartbeat", rowKey: "last", ok: result.ok, checkedAt: result.checkedAt, result: JSON.stringify(result) }, "Replace");
    if (result.ok) await this.table.upsertEntity({ partitionKey: PASSED_PARTITION, rowKey: result.version, checkedAt: new Date(result.checkedAt) }, "Replace");
  }

  async last(): Promise<HeartbeatResult | undefined> {
    await this.created();
    const entity = await entityOrUndefined<{ result: string }>(this.table, "heartbeat", "last");
    return entity && (JSON.parse(String(entity.result)) as HeartbeatResult);
  }

  /** When a heartbeat run by `version` last passed; undefined if never. Read-only (no table creation): the guardian reads it. */
  async lastPassed(version: string): Promise<Date | undefined> {
    const entity = await unlessMissing(() => this.table.getEntity<{ checkedAt: unknown }>(PASSED_PARTITION, version));
    return entity && tableDate(entity.checkedAt);
  }
}
