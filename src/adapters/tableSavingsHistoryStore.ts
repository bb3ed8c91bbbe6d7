/**
 * Where the savings history is kept: `savingshistorytable`, one partition per UTC day of a run's creation
 * (`YYYY-MM-DD`), one entity per run (`<requestId>|<n>`, several for very large runs) holding its events compactly
 * (src/savings/history.ts `encodeEvents`, deflated, base64 in 30,000-character properties). A month's query reads one
 * partition per day.
 */
import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { decodeEventsInto, encodeEvents, type HistoryEvent, type PackedHistory } from "../savings/history";
import type { SavingsHistoryStore } from "../savings/ports";
import { mapWithConcurrency } from "../engine/concurrency";
import { createdOnFirstUse } from "./storageClients";

export const SAVINGS_HISTORY_TABLE = "savingshistorytable";
/** Table string properties hold 32K UTF-16 characters; an entity 1 MiB: at most 15 such chunks per entity. */
const CHUNK = 30_000;
const CHUNKS_PER_ENTITY = 15;
const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class TableSavingsHistoryStore implements SavingsHistoryStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async append(run: { requestId: string; createdAt: Date }, events: HistoryEvent[]): Promise<void> {
    await this.created();
    const base = run.createdAt.getTime();
    // Split the VMs so each entity stays under Azure's entity size.
    const byVm = new Map<string, HistoryEvent[]>();
    for (const e of events) (byVm.get(e.vmKey) ?? byVm.set(e.vmKey, []).get(e.vmKey)!).push(e);
    const texts: string[] = [];
    let part: HistoryEvent[] = [];
    let size = 0;
    for (const list of byVm.values()) {
      part.push(...list);
      size += list[0]!.vmKey.length / 4 + 12 * list.length; // the prefix is shared within a resource group
      // Deflated, the events shrink several times; split well before the entity's limit even so.
      if (size > CHUNK * CHUNKS_PER_ENTITY * 2) {
        texts.push(encodeEvents(base, part));
        part = [];
        size = 0;
      }
    }
    if (part.length > 0) texts.push(encodeEvents(base, part));
    const packed = texts.map((t) => deflateRawSync(Buffer.from(t, "utf8")).toString("base64"));
    const partitionKey = dayOf(base);
    const actions: TransactionAction[] = packed.map((text, n) => {
      const entity: Record<string, unknown> = { partitionKey, rowKey: `${run.requestId}|${n}`, requestId: run.requestId, parts: texts.length, encoding: "deflate-base64" };
      for (let i = 0, c = 0; i < text.length; i += CHUNK, c++) entity[`d${c}`] = text.slice(i, i + CHUNK);
      return ["upsert", entity as never, "Replace"];
    });
    // One run's entities share a partition: one transaction each (an entity may be near 1 MiB, a batch holds 4 MiB).
    for (const action of actions) await this.table.submitTransaction([action]);
  }

  /** `onSubscription` hears of each subscription as soon as its first VM is read (so its VMs can be listed meanwhile). */
  async read(from: Date, to: Date, onSubscription?: (subscriptionId: string) => void): Promise<{ history: PackedHistory; events: number; storageReads: number }> {
    await this.created();
    const days: string[] = [];
    for (let ms = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); ms < to.getTime(); ms += DAY_MS) days.push(dayOf(ms));
    let storageReads = 0;
    let events = 0;
    const history: PackedHistory = new Map();
    const keys = new Map<string, Map<string, string>>();
    const subscriptions = new Set<string>();
    const onPrefix = (prefix: string) => {
      const sub = /^\/subscriptions\/([^/]+)\//.exec(prefix)?.[1];
      if (sub && !subscriptions.has(sub)) {
        subscriptions.add(sub);
        onSubscription?.(sub);
      }
    };
    await mapWithConcurrency(days, 2, async (day) => {
      const pages = this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${day}` } }).byPage({ maxPageSize: 100 });
      for await (const page of pages) {
        storageReads++;
        for (const entity of page) {
          let text = "";
          for (let c = 0; typeof entity[`d${c}`] === "string"; c++) text += entity[`d${c}`] as string;
          if (text) events += decodeEventsInto(inflateRawSync(Buffer.from(text, "base64")).toString("utf8"), history, keys, onPrefix);
        }
      }
    });
    return { history, events, storageReads };
  }
}
