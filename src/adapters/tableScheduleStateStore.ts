/**
 * Where the ScheduleEvaluator's memory is kept: `schedulestatestoretable`. One partition per subscription with a row
 * per scheduled VM (the request store's VM row key), written in transactions of up to 100 and only when something
 * changed; one row for the last tick.
 */
import type { TableClient, TransactionAction } from "@azure/data-tables";
import type { Override } from "../schedules/decision";
import type { ScheduleStateStore, VmScheduleState } from "../schedules/scheduleStateStore";
import { createdOnFirstUse, entityOrUndefined, storageAnswered, tableDate } from "./storageClients";
import { vmRowKey } from "./tableRequestStore";
import { mapWithConcurrency } from "../engine/concurrency";

export const SCHEDULE_STATE_TABLE = "schedulestatestoretable";
const TICK_PARTITION = "tick";
const OVERRIDE_PARTITION = "override";
const BATCH = 100;

export class TableScheduleStateStore implements ScheduleStateStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async loadAll(): Promise<VmScheduleState[]> {
    await this.created();
    const out: VmScheduleState[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey ne '${TICK_PARTITION}' and PartitionKey ne '${OVERRIDE_PARTITION}' and PartitionKey ne 'once-link' and PartitionKey ne 'once-notice'` } })) out.push(fromEntity(e));
    return out;
  }

  async get(vmKey: string): Promise<VmScheduleState | undefined> {
    await this.created();
    const rowKey = vmRowKey(vmKey);
    if (!rowKey) return undefined;
    const e = await entityOrUndefined<Record<string, unknown>>(this.table, rowKey.split("|")[1]!, rowKey);
    return e && fromEntity(e);
  }

  async save(states: VmScheduleState[]): Promise<void> {
    await this.created();
    const byPartition = new Map<string, VmScheduleState[]>();
    for (const s of states) {
      const p = s.subscriptionId.toLowerCase();
      byPartition.set(p, [...(byPartition.get(p) ?? []), s]);
    }
    const batches: { partitionKey: string; list: VmScheduleState[] }[] = [];
    for (const [partitionKey, list] of byPartition) for (let i = 0; i < list.length; i += BATCH) batches.push({ partitionKey, list: list.slice(i, i + BATCH) });
    // Transactions of different partitions (and of one) are independent: a few at a time.
    await mapWithConcurrency(batches, 8, async ({ partitionKey, list }) => {
      {
        const actions: TransactionAction[] = list.map((s) => ["upsert", {
          partitionKey, rowKey: vmRowKey(s.vmKey)!, vmKey: s.vmKey, vmId: s.vmId, subscriptionId: s.subscriptionId, schedule: s.schedule, stored: s.stored,
          decidedAt: s.decidedAt, action: s.action, reason: s.reason.slice(0, 2000), requestId: s.requestId,
        }, "Replace"]);
        await this.table.submitTransaction(actions);
      }
    });
  }

  async lastTick(): Promise<Date | undefined> {
    await this.created();
    const e = await entityOrUndefined<{ at: unknown }>(this.table, TICK_PARTITION, "last");
    return e && tableDate(e.at);
  }

  async saveTick(at: Date): Promise<void> {
    await this.created();
    await this.table.upsertEntity({ partitionKey: TICK_PARTITION, rowKey: "last", at }, "Replace");
  }

  async overrides(): Promise<Map<string, Override>> {
    await this.created();
    const out = new Map<string, Override>();
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: `PartitionKey eq '${OVERRIDE_PARTITION}'` } })) out.set(String(e.vmKey), overrideOf(e));
    return out;
  }

  async getOverride(vmKey: string): Promise<Override | undefined> {
    await this.created();
    const rowKey = vmRowKey(vmKey);
    const e = rowKey ? await entityOrUndefined<Record<string, unknown>>(this.table, OVERRIDE_PARTITION, rowKey) : undefined;
    return e && overrideOf(e);
  }

  async putOverride(vmKey: string, o: Override): Promise<void> {
    await this.created();
    await this.table.upsertEntity({ partitionKey: OVERRIDE_PARTITION, rowKey: vmRowKey(vmKey)!, vmKey, state: o.state, until: o.until, source: o.source }, "Replace");
  }

  async once(kind: "link" | "notice", id: string, at: Date): Promise<boolean> {
    await this.created();
    try {
      await this.table.createEntity({ partitionKey: `once-${kind}`, rowKey: id.replace(/[\\/#?\u0000-\u001f]/g, "_").slice(0, 512), at });
      return true;
    } catch (error) {
      if (storageAnswered(error, 409)) return false;
      throw error;
    }
  }

  async deleteOverride(vmKey: string): Promise<boolean> {
    await this.created();
    try {
      await this.table.deleteEntity(OVERRIDE_PARTITION, vmRowKey(vmKey)!);
      return true;
    } catch (error) {
      if (storageAnswered(error, 404)) return false;
      throw error;
    }
  }
}

function overrideOf(e: Record<string, unknown>): Override {
  return { state: e.state as Override["state"], until: tableDate(e.until), source: String(e.source ?? "") };
}

function fromEntity(e: Record<string, unknown>): VmScheduleState {
  return {
    vmKey: String(e.vmKey), vmId: String(e.vmId), subscriptionId: String(e.subscriptionId), schedule: String(e.schedule), stored: e.stored as VmScheduleState["stored"],
    decidedAt: tableDate(e.decidedAt), action: e.action as VmScheduleState["action"], reason: String(e.reason ?? ""), requestId: e.requestId as string | undefined,
  };
}
