/** Where finished runs' summaries are kept for the dashboard: `runsummarystoretable`, one partition per UTC day. */
import { odata, type TableClient } from "@azure/data-tables";
import type { RunSummary, RunSummaryStore } from "../dashboard/runSummary";
import { createdOnFirstUse, tableDate } from "./storageClients";
import { mapWithConcurrency } from "../engine/concurrency";

export const RUN_SUMMARY_TABLE = "runsummarystoretable";
const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class TableRunSummaryStore implements RunSummaryStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async save(s: RunSummary): Promise<void> {
    await this.created();
    await this.table.upsertEntity({
      partitionKey: dayOf(s.completedAt.getTime()), rowKey: s.requestId, action: s.action, state: s.state, message: s.message.slice(0, 8000),
      counts: JSON.stringify(s.counts), completedAt: s.completedAt, failedVms: JSON.stringify(s.failedVms).slice(0, 30_000), topErrorCodes: JSON.stringify(s.topErrorCodes),
    }, "Replace");
  }

  async recent(from: Date, to: Date): Promise<RunSummary[]> {
    await this.created();
    const days: string[] = [];
    for (let ms = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate()); ms < to.getTime(); ms += DAY_MS) days.push(dayOf(ms));
    const perDay = await mapWithConcurrency(days, 4, async (day) => {
      const out: RunSummary[] = [];
      for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${day}` } })) {
        const completedAt = tableDate(e.completedAt);
        if (completedAt < from || completedAt >= to) continue;
        out.push({
          requestId: String(e.rowKey), action: String(e.action), state: String(e.state), message: String(e.message ?? ""), counts: JSON.parse(String(e.counts)),
          completedAt, failedVms: safeJson(e.failedVms, []), topErrorCodes: safeJson(e.topErrorCodes, []),
        });
      }
      return out;
    });
    return perDay.flat().sort((a, b) => b.completedAt.getTime() - a.completedAt.getTime());
  }
}

function safeJson<T>(v: unknown, fallback: T): T {
  try {
    return typeof v === "string" ? (JSON.parse(v) as T) : fallback;
  } catch {
    return fallback;
  }
}
