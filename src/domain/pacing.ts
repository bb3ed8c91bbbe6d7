/**
 * Pacing: send power calls at the rate Azure's token buckets refill, so that 429s are rare instead of
 * being the pacing mechanism (docs/azure-facts.md#arm-throttling, #compute-throttling). Pure: time comes in as parameters.
 *
 * Two budgets bound a start/deallocate: Microsoft.Compute's per subscription + region (UpdateVM for start,
 * DeleteVM for deallocate: 1,500 burst, 500 per minute) and Resource Manager's writes per subscription and
 * principal (200 burst, 10 per second).
 */

export interface TokenBucketLimit {
  burst: number;
  refillPerSecond: number;
}

export interface PacingBudget {
  /** Per subscription + region, for the action being sent. */
  compute: TokenBucketLimit;
  /** Per subscription (and principal). */
  armWrites: TokenBucketLimit;
  /**
   * Fraction of each bucket the plan may use (e.g. 0.95): the rest absorbs retries and other callers,
   * and is what the rate guard watches for.
   */
  share: number;
}

/** The documented limits (docs/azure-facts.md#arm-throttling, #compute-throttling). */
export const DOCUMENTED_BUDGET: PacingBudget = {
  compute: { burst: 1500, refillPerSecond: 500 / 60 },
  armWrites: { burst: 200, refillPerSecond: 10 },
  share: 0.97,
};

interface BucketState {
  tokens: number;
  at: number;
}

/**
 * The earliest send time (seconds from now) of each call, in the given order, such that no bucket would
 * ever be overdrawn, assuming full buckets now. Greedy and exact for token buckets.
 */
export function planCallOffsets(calls: readonly { subscriptionId: string; region: string }[], budget: PacingBudget): number[] {
  const compute = scaled(budget.compute, budget.share);
  const writes = scaled(budget.armWrites, budget.share);
  const buckets = new Map<string, BucketState>();
  const bucket = (key: string, limit: TokenBucketLimit) => {
    let state = buckets.get(key);
    if (!state) buckets.set(key, (state = { tokens: limit.burst, at: 0 }));
    return state;
  };
  return calls.map(({ subscriptionId, region }) => {
    const c = bucket(`c|${subscriptionId}|${region}`.toLowerCase(), compute);
    const w = bucket(`w|${subscriptionId}`.toLowerCase(), writes);
    const at = Math.max(whenTokenAvailable(c, compute), whenTokenAvailable(w, writes));
    take(c, compute, at);
    take(w, writes, at);
    return at;
  });
}

function scaled(limit: TokenBucketLimit, share: number): TokenBucketLimit {
  return { burst: Math.max(1, Math.floor(limit.burst * share)), refillPerSecond: limit.refillPerSecond * share };
}

function whenTokenAvailable(state: BucketState, limit: TokenBucketLimit): number {
  return state.tokens >= 1 ? state.at : state.at + (1 - state.tokens) / limit.refillPerSecond;
}

function take(state: BucketState, limit: TokenBucketLimit, at: number): void {
  state.tokens = Math.min(limit.burst, state.tokens + (at - state.at) * limit.refillPerSecond) - 1;
  state.at = at;
}

/** Interleaves calls of different subscription + region pairs so that every bucket starts working at once. */
export function interleaveByBucket<T extends { subscriptionId: string; region: string }>(items: readonly T[]): T[] {
  const queues = new Map<string, T[]>();
  for (const item of items) {
    const key = `${item.subscriptionId}|${item.region}`.toLowerCase();
    const queue = queues.get(key) ?? [];
    queue.push(item);
    queues.set(key, queue);
  }
  const out: T[] = [];
  const lists = [...queues.values()];
  for (let i = 0; out.length < items.length; i++) for (const list of lists) if (i < list.length) out.push(list[i]!);
  return out;
}

/**
 * A process's own copy of a budget, for callers that pace themselves within one process (AutoStop's alert writes):
 * a caller that fell behind would otherwise catch up in a clump, and a bucket refills only up to its burst. Power
 * calls draw from the shared ledger instead (src/budget/budgetLedger.ts), which every instance sees.
 */
export class TokenBuckets {
  private readonly state = new Map<string, BucketState>();

  constructor(private readonly limit: TokenBucketLimit) {}

  /** Seconds until a token is available in this bucket (0 = one is there now). */
  waitSeconds(key: string, nowMs: number): number {
    const s = this.refilled(key, nowMs);
    return s.tokens >= 1 ? 0 : (1 - s.tokens) / this.limit.refillPerSecond;
  }

  take(key: string, nowMs: number): void {
    this.refilled(key, nowMs).tokens -= 1;
  }

  private refilled(key: string, nowMs: number): BucketState {
    const now = nowMs / 1000;
    const s = this.state.get(key) ?? { tokens: this.limit.burst, at: now };
    s.tokens = Math.min(this.limit.burst, s.tokens + Math.max(0, now - s.at) * this.limit.refillPerSecond);
    // Concurrent invocations read the clock at different moments and may arrive out of order: an earlier
    // timestamp must not move the bucket back in time, or the same seconds would be refilled twice.
    s.at = Math.max(s.at, now);
    this.state.set(key, s);
    return s;
  }
}

/**
 * Watches what Azure says is left in a bucket (the x-ms-ratelimit-remaining-* headers). When something
 * else is spending the budget and the remainder falls below `lowWater`, calls for that bucket are held
 * until it has refilled to `resumeAt` — instead of finding out through 429s.
 */
export class RateGuard {
  private readonly holds = new Map<string, number>();

  constructor(private readonly settings: { lowWater: number; resumeAt: number; refillPerSecond: number }) {}

  observe(key: string, remaining: number | undefined, nowMs: number): void {
    if (remaining === undefined || remaining >= this.settings.lowWater) return;
    const waitMs = ((this.settings.resumeAt - remaining) / this.settings.refillPerSecond) * 1000;
    this.holds.set(key, Math.max(this.holds.get(key) ?? 0, nowMs + waitMs));
  }

  holdAtLeast(key: string, untilMs: number): void {
    this.holds.set(key, Math.max(this.holds.get(key) ?? 0, untilMs));
  }

  /** Seconds to wait before calling into this bucket (0 = go). */
  holdSeconds(key: string, nowMs: number): number {
    const until = this.holds.get(key);
    if (until === undefined || until <= nowMs) return 0;
    return (until - nowMs) / 1000;
  }
}
