/**
 * Where the ScheduleEvaluator's memory is kept: `schedulestatestoretable`. The scheduled VMs' states are packed into
 * 32 shard rows per subscription (partition `vms|<subscription>`, row `shard-<n>` by a hash of the VM key, the states
 * as JSON split over properties of 30,000 characters), so a transition that changes 3,500 VMs rewrites a few dozen
 * rows instead of 3,500 (each read, merged and written back with its etag). Then one row for the last tick, one per
 * API override, and the single-use records (a used postpone link, a notice sent).
 */
import type { TableClient } from "@azure/data-tables";
import type { Override } from "../schedules/decision";
import type { ScheduleStateStore, VmScheduleState } from "../schedules/scheduleStateStore";
import { createdOnFirstUse, entityOrUndefined, storageAnswered, tableDate } from "./storageClients";
import { vmRowKey } from "./tableRequestStore";
import { mapWithConcurrency } from "../engine/concurrency";

export const SCHEDULE_STATE_TABLE = "schedulestatestoretable";
const TICK_PARTITION = "tick";
const OVERRIDE_PARTITION = "override";
const SHARDS = 32;
const CHUNK = 30_000;

/** A VM's state as packed in a shard row. */
interface Packed {
  i: string;
  u: string;
  s: string;
  t: VmScheduleState["stored"];
  d: string;
  a: VmScheduleState["action"];
  r: string;
  q?: string;
}

function shardOf(vmKey: string): { partitionKey: string; rowKey: string } {
  let h = 0x811c9dc5;
  for (let i = 0; i < vmKey.length; i++) h = Math.imul(h ^ vmKey.charCodeAt(i), 0x01000193) >>> 0;
  const sub = vmKey.split("/")[2] ?? "";
  return { partitionKey: `vms|${sub}`, rowKey: `shard-${h % SHARDS}` };
}

function readPacked(e: Record<string, unknown>): Record<string, Packed> {
  let text = "";
  for (let n = 0; typeof e[`states${n}`] === "string"; n++) text += e[`states${n}`] as string;
  return text ? (JSON.parse(text) as Record<string, Packed>) : {};
}

function packedEntity(key: { partitionKey: string; rowKey: string }, states: Record<string, Packed>): Record<string, unknown> {
  const text = JSON.stringify(states);
  const entity: Record<string, unknown> = { ...key, count: Object.keys(states).length };
  for (let i = 0, n = 0; i < text.length || n === 0; i += CHUNK, n++) entity[`states${n}`] = text.slice(i, i + CHUNK);
  return entity;
}

const pack = (s: VmScheduleState): Packed => ({ i: s.vmId, u: s.subscriptionId, s: s.schedule, t: s.stored, d: s.decidedAt.toISOString(), a: s.action, r: s.reason.slice(0, 1000), ...(s.requestId ? { q: s.requestId } : {}) });
const unpack = (vmKey: string, p: Packed): VmScheduleState => ({ vmKey, vmId: p.i, subscriptionId: p.u, schedule: p.s, stored: p.t, decidedAt: new Date(p.d), action: p.a, reason: p.r, requestId: p.q });

export class TableScheduleStateStore implements ScheduleStateStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async loadAll(): Promise<VmScheduleState[]> {
    await this.created();
    const out: VmScheduleState[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: "PartitionKey ge 'vms|' and PartitionKey lt 'vms}'" } })) {
      for (const [k, p] of Object.entries(readPacked(e))) out.push(unpack(k, p));
    }
    return out;
  }

  async get(vmKey: string): Promise<VmScheduleState | undefined> {
    await this.created();
    const key = vmKey.toLowerCase();
    const shard = shardOf(key);
    const e = await entityOrUndefined<Record<string, unknown>>(this.table, shard.partitionKey, shard.rowKey);
    const p = e && readPacked(e)[key];
    return p && unpack(key, p);
  }

  async save(states: VmScheduleState[]): Promise<void> {
    await this.created();
    const byShard = new Map<string, { key: { partitionKey: string; rowKey: string }; states: VmScheduleState[] }>();
    for (const s of states) {
      const key = shardOf(s.vmKey.toLowerCase());
      const id = `${key.partitionKey}/${key.rowKey}`;
      const group = byShard.get(id) ?? { key, states: [] };
      group.states.push(s);
      byShard.set(id, group);
    }
    await mapWithConcurrency([...byShard.values()], 8, async ({ key, states: changed }) => {
      for (let attempt = 0; ; attempt++) {
        const e = await entityOrUndefined<Record<string, unknown>>(this.table, key.partitionKey, key.rowKey);
        const packed = e ? readPacked(e) : {};
        for (const s of changed) packed[s.vmKey.toLowerCase()] = pack(s);
        try {
          if (e) await this.table.updateEntity(packedEntity(key, packed) as never, "Replace", { etag: e.etag });
          else await this.table.createEntity(packedEntity(key, packed) as never);
          return;
        } catch (error) {
          // Someone wrote the shard since it was read: read it again and merge once more.
          if (attempt >= 4 || !storageAnswered(error, 409, 412)) throw error;
        }
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
