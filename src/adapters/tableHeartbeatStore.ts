/** Where the last heartbeat is kept: `heartbeatstoretable`, one row (GET /api/health reads it). */
import type { TableClient } from "@azure/data-tables";
import type { HeartbeatResult } from "../operations/heartbeat";
import { createdOnFirstUse, entityOrUndefined } from "./storageClients";

export const HEARTBEAT_TABLE = "heartbeatstoretable";

export class TableHeartbeatStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async save(result: HeartbeatResult): Promise<void> {
    await this.created();
    await this.table.upsertEntity({ partitionKey: "heartbeat", rowKey: "last", ok: result.ok, checkedAt: result.checkedAt, result: JSON.stringify(result) }, "Replace");
  }

  async last(): Promise<HeartbeatResult | undefined> {
    await this.created();
    const entity = await entityOrUndefined<{ result: string }>(this.table, "heartbeat", "last");
    return entity && (JSON.parse(String(entity.result)) as HeartbeatResult);
  }
}
