/** The shared budget's in-memory twin: the same refill and grant rules over a map. */
import type { PacingBudget, TokenBucketLimit } from "../../domain/pacing";
import { grant, refilled, type BucketState, type BudgetDemand, type BudgetGrant, type BudgetLedger } from "../../budget/budgetLedger";

export class MemoryBudgetLedger implements BudgetLedger {
  readonly buckets = new Map<string, BucketState>();
  private readonly limits: { compute: TokenBucketLimit; armWrites: TokenBucketLimit };

  constructor(budget: PacingBudget) {
    const share = (l: TokenBucketLimit) => ({ burst: l.burst * budget.share, refillPerSecond: l.refillPerSecond * budget.share });
    this.limits = { compute: share(budget.compute), armWrites: share(budget.armWrites) };
  }

  async reserve(demand: BudgetDemand, nowMs: number): Promise<BudgetGrant> {
    const computeKey = `${demand.subscriptionId}|compute|${demand.computeKey}`.toLowerCase();
    const writesKey = `${demand.subscriptionId}|writes`.toLowerCase();
    const compute = refilled(this.buckets.get(computeKey), this.limits.compute, nowMs);
    const writes = refilled(this.buckets.get(writesKey), this.limits.armWrites, nowMs);
    const result = grant(compute, writes, this.limits, demand.want);
    this.buckets.set(computeKey, { ...compute, tokens: compute.tokens - result.granted });
    this.buckets.set(writesKey, { ...writes, tokens: writes.tokens - result.granted });
    return result;
  }
}
