/** Where evictions are kept: `evictionstoretable`, one partition per subscription, one row per VM (its latest one). */
import { odata, type TableClient } from "@azure/data-tables";
import type { EvictionRecord, EvictionStore } from "../platformEvents/evictionStore";
import { createdOnFirstUse, entityOrUndefined, tableDate } from "./storageClients";
import { vmRowKey } from "./tableRequestStore";

export const EVICTIONS_TABLE = "evictionstoretable";

export class TableEvictionStore implements EvictionStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async get(vmKey: string): Promise<EvictionRecord | undefined> {
    await this.created();
    const rowKey = vmRowKey(vmKey);
    const entity = rowKey ? await entityOrUndefined(this.table, rowKey.split("|")[1]!, rowKey) : undefined;
    return entity && fromEntity(entity);
  }

  async save(r: EvictionRecord): Promise<void> {
    await this.created();
    const rowKey = vmRowKey(r.vmKey)!;
    await this.table.upsertEntity({
      partitionKey: rowKey.split("|")[1]!, rowKey, vmKey: r.vmKey, subscriptionId: r.subscriptionId, desiredRequestId: r.desiredRequestId,
      detectedAt: r.detectedAt, verdict: r.verdict, at: r.at, detail: r.detail.slice(0, 4000), source: r.source,
      restartRequestId: r.restartRequestId, recoveredAt: r.recoveredAt, awaitingRecovery: Boolean(r.restartRequestId && !r.recoveredAt),
    }, "Replace");
  }

  async listAwaitingRecovery(): Promise<EvictionRecord[]> {
    await this.created();
    const out: EvictionRecord[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`awaitingRecovery eq ${true}` } })) out.push(fromEntity(e));
    return out;
  }
}

function fromEntity(e: Record<string, unknown>): EvictionRecord {
  const date = (v: unknown) => tableDate(v, "optional");
  return {
    vmKey: String(e.vmKey), subscriptionId: String(e.subscriptionId), desiredRequestId: String(e.desiredRequestId), detectedAt: date(e.detectedAt)!,
    verdict: e.verdict as EvictionRecord["verdict"], at: date(e.at), detail: String(e.detail ?? ""), source: e.source as string | undefined,
    restartRequestId: e.restartRequestId as string | undefined, recoveredAt: date(e.recoveredAt),
  };
}
