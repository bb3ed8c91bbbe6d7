/**
 * The shared budget in Table storage: `budgetledgerstoretable`, one partition per subscription holding its buckets
 * (Compute per region and operation, Resource Manager writes). A reservation reads the two entities it spends and
 * writes both in one etag-checked transaction, so concurrent reservations from any instance never take a token twice:
 * the loser of a race reads again and retries. Cost: one read and one write per act message, not per VM. Each bucket
 * also keeps the grants whose calls may still be on their way (see budgetLedger.ts), which lower its ceiling.
 */
import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import type { PacingBudget, TokenBucketLimit } from "../domain/pacing";
import { ledgerLimits, reserveFrom, type BucketState, type BudgetDemand, type BudgetGrant, type BudgetLedger, type InFlight } from "../budget/budgetLedger";
import type { RequestShares } from "../budget/fairShare";
import { createdOnFirstUse, storageAnswered } from "./storageClients";

export const BUDGET_TABLE = "budgetledgerstoretable";
const WRITES_ROW = "armWrites";
const MAX_TRIES = 8;
/** How long calls wait, jittered up to twice that, when every try lost to other reservations. */
const CONTENDED_WAIT_SECONDS = 1;

export class TableBudgetLedger implements BudgetLedger {
  private readonly created: () => Promise<void>;
  private readonly limits: { compute: TokenBucketLimit; armWrites: TokenBucketLimit };

  constructor(private readonly table: TableClient, budget: PacingBudget, private readonly random: () => number = Math.random) {
    this.created = createdOnFirstUse(table);
    this.limits = ledgerLimits(budget);
  }

  /** Every bucket as last written (the dashboard's budget view): subscription, bucket, tokens left then, and when. */
  async snapshot(): Promise<Array<{ subscriptionId: string; bucket: string; tokens: number; at: number; burst: number }>> {
    await this.created();
    const out: Array<{ subscriptionId: string; bucket: string; tokens: number; at: number; burst: number }> = [];
    for await (const e of this.table.listEntities<BucketEntity>({ queryOptions: { select: ["PartitionKey", "RowKey", "tokens", "at"] } })) {
      const bucket = e.rowKey!;
      out.push({ subscriptionId: e.partitionKey!, bucket, tokens: Number(e.tokens), at: Number(e.at), burst: bucket === WRITES_ROW ? this.limits.armWrites.burst : this.limits.compute.burst });
    }
    return out;
  }

  async reserve(demand: BudgetDemand, nowMs: number): Promise<BudgetGrant> {
    await this.created();
    const partition = demand.subscriptionId.toLowerCase();
    const computeRow = `compute|${demand.computeKey.toLowerCase()}`;
    for (let attempt = 1; ; attempt++) {
      const stored = new Map<string, BucketState & { etag?: string }>();
      const query = this.table.listEntities<BucketEntity>({
        queryOptions: { filter: odata`PartitionKey eq ${partition} and (RowKey eq ${computeRow} or RowKey eq ${WRITES_ROW})` },
      });
      for await (const e of query) stored.set(e.rowKey!, { tokens: Number(e.tokens), at: Number(e.at), inFlight: inFlightOf(e.inFlight), shares: sharesOf(e.shares), etag: e.etag });
      const { result, compute, writes, changed } = reserveFrom({ compute: stored.get(computeRow), writes: stored.get(WRITES_ROW) }, this.limits, demand, nowMs);
      if (!changed) return result;
      const actions: TransactionAction[] = [
        write(partition, computeRow, compute, stored.get(computeRow)?.etag),
        write(partition, WRITES_ROW, writes, stored.get(WRITES_ROW)?.etag),
      ];
      try {
        await this.table.submitTransaction(actions);
        return result;
      } catch (error) {
        if (!storageAnswered(error, 412, 409)) throw error;
        // Still losing to other reservations after every try: the bucket is that contended, so these calls wait,
        // like calls the bucket refused (un-claimed, due again shortly). Throwing would fail the executor run and
        // leave its claimed VMs to the stall grace.
        if (attempt >= MAX_TRIES) return { granted: 0, waitSeconds: CONTENDED_WAIT_SECONDS * (1 + this.random()), secondsPerToken: result.secondsPerToken };
        // Another reservation changed a bucket since it was read: read again (briefly jittered) and recompute.
        await new Promise((r) => setTimeout(r, 5 + this.random() * 20 * attempt));
      }
    }
  }
}

interface BucketEntity {
  tokens: number;
  at: number;
  /** JSON `[[tokens, untilMs], …]`: the grants still in flight (a few entries: one per second of the call window). */
  inFlight?: string;
  /** JSON `{requestId: [served, waiting, seenAtMs]}`: Compute rows only, the requests drawing from it lately (fairShare.ts). */
  shares?: string;
}

function inFlightOf(stored: string | undefined): InFlight[] {
  if (!stored) return [];
  return (JSON.parse(stored) as [number, number][]).map(([tokens, until]) => ({ tokens, until }));
}

function sharesOf(stored: string | undefined): RequestShares | undefined {
  if (!stored) return undefined;
  const shares: RequestShares = {};
  for (const [id, [served, waiting, seenAt]] of Object.entries(JSON.parse(stored) as Record<string, [number, number, number]>)) shares[id] = { served, waiting, seenAt };
  return shares;
}

function write(partitionKey: string, rowKey: string, state: BucketState, etag: string | undefined): TransactionAction {
  const shares = state.shares ? { shares: JSON.stringify(Object.fromEntries(Object.entries(state.shares).map(([id, s]) => [id, [s.served, s.waiting, s.seenAt]]))) } : {};
  const entity = { partitionKey, rowKey, tokens: state.tokens, at: state.at, inFlight: JSON.stringify(state.inFlight.map((f) => [f.tokens, f.until])), ...shares };
  return etag ? ["update", entity, "Replace", { etag }] : ["create", entity];
}
