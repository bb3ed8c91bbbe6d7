/** The shared budget's in-memory twin: the same refill and grant rules over a map. */
import type { PacingBudget, TokenBucketLimit } from "../../src/domain/pacing";
import { ledgerLimits, reserveFrom, type BucketState, type BudgetDemand, type BudgetGrant, type BudgetLedger } from "../../src/budget/budgetLedger";

export class MemoryBudgetLedger implements BudgetLedger {
  readonly buckets = new Map<string, BucketState>();
  private readonly limits: { compute: TokenBucketLimit; armWrites: TokenBucketLimit };

  constructor(budget: PacingBudget) {
    this.limits = ledgerLimits(budget);
  }

  async reserve(demand: BudgetDemand, nowMs: number): Promise<BudgetGrant> {
    const computeKey = `${demand.subscriptionId}|compute|${demand.computeKey}`.toLowerCase();
    const writesKey = `${demand.subscriptionId}|writes`.toLowerCase();
    const { result, compute, writes } = reserveFrom({ compute: this.buckets.get(computeKey), writes: this.buckets.get(writesKey) }, this.limits, demand, nowMs);
    this.buckets.set(computeKey, compute);
    this.buckets.set(writesKey, writes);
    return result;
  }
}
