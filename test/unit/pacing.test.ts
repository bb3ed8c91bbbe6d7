import { describe, expect, it } from "vitest";
import { DOCUMENTED_BUDGET, interleaveByBucket, planCallOffsets, RateGuard, TokenBuckets, type PacingBudget } from "../../src/domain/pacing";

const full: PacingBudget = { ...DOCUMENTED_BUDGET, share: 1 };

/** Replays planned calls through token buckets and returns the lowest balance each bucket reached. */
function lowestBalances(calls: { subscriptionId: string; region: string }[], offsets: number[], budget: PacingBudget): number {
  const order = offsets.map((t, i) => ({ t, call: calls[i]! })).sort((a, b) => a.t - b.t);
  const state = new Map<string, { tokens: number; at: number }>();
  let lowest = Infinity;
  const spend = (key: string, limit: { burst: number; refillPerSecond: number }, t: number) => {
    const s = state.get(key) ?? { tokens: limit.burst, at: 0 };
    s.tokens = Math.min(limit.burst, s.tokens + (t - s.at) * limit.refillPerSecond) - 1;
    s.at = t;
    state.set(key, s);
    lowest = Math.min(lowest, s.tokens);
  };
  for (const { t, call } of order) {
    spend(`c${call.subscriptionId}${call.region}`, budget.compute, t);
    spend(`w${call.subscriptionId}`, budget.armWrites, t);
  }
  return lowest;
}

describe("planCallOffsets", () => {
  it("never overdraws a bucket and finishes as early as the binding bucket allows", () => {
    const calls = Array.from({ length: 10_000 }, () => ({ subscriptionId: "s1", region: "westeurope" }));
    const offsets = planCallOffsets(calls, full);
    expect(lowestBalances(calls, offsets, full)).toBeGreaterThanOrEqual(-1e-9);
    expect(offsets.slice(0, 200).every((t) => t === 0)).toBe(true); // ARM's write burst goes at once
    // Compute (1,500 + 500/min) binds at this size: the last call at (10,000 - 1,500) / 500 min = 1,020 s.
    expect(offsets[offsets.length - 1]).toBeCloseTo(1020, 0);
  });

  it("lets ARM's write bucket bind when a subscription's regions share it", () => {
    const calls = interleaveByBucket(Array.from({ length: 1000 }, (_, i) => ({ subscriptionId: "s1", region: i % 2 ? "eastus" : "westus" })));
    const offsets = planCallOffsets(calls, full);
    expect(lowestBalances(calls, offsets, full)).toBeGreaterThanOrEqual(-1e-9);
    expect(offsets[offsets.length - 1]).toBeCloseTo((1000 - 200) / 10, 0);
  });

  it("keeps subscriptions independent and holds back the unshared part of each bucket", () => {
    const calls = Array.from({ length: 400 }, (_, i) => ({ subscriptionId: `s${i % 2}`, region: "westeurope" }));
    const offsets = planCallOffsets(calls, full);
    expect(Math.max(...offsets)).toBe(0); // 200 per subscription fit in each burst
    const shared = planCallOffsets(calls, { ...full, share: 0.5 });
    expect(Math.max(...shared)).toBeGreaterThan(0);
    expect(lowestBalances(calls, shared, full)).toBeGreaterThanOrEqual(100 - 1 - 1e-9);
  });
});

describe("interleaveByBucket", () => {
  it("alternates between buckets and keeps every item", () => {
    const items = [{ subscriptionId: "a", region: "x", n: 1 }, { subscriptionId: "a", region: "x", n: 2 }, { subscriptionId: "b", region: "x", n: 3 }];
    expect(interleaveByBucket(items).map((i) => i.n)).toEqual([1, 3, 2]);
  });
});

describe("RateGuard", () => {
  it("holds a bucket whose remaining budget falls below the low-water mark until it has refilled", () => {
    const guard = new RateGuard({ lowWater: 25, resumeAt: 75, refillPerSecond: 10 });
    guard.observe("k", 100, 0);
    expect(guard.holdSeconds("k", 0)).toBe(0);
    guard.observe("k", 5, 1000);
    expect(guard.holdSeconds("k", 1000)).toBeCloseTo(7);
    expect(guard.holdSeconds("k", 8000)).toBe(0);
    expect(guard.holdSeconds("other", 1000)).toBe(0);
  });
});

describe("TokenBuckets", () => {
  it("lets a late host catch up only as fast as the bucket refills", () => {
    const buckets = new TokenBuckets({ burst: 3, refillPerSecond: 1 });
    for (let i = 0; i < 3; i++) {
      expect(buckets.waitSeconds("k", 0)).toBe(0);
      buckets.take("k", 0);
    }
    expect(buckets.waitSeconds("k", 0)).toBe(1);
    // Ten idle seconds refill only up to the burst: the eleventh-second catch-up gets 3, not 10.
    let sent = 0;
    while (buckets.waitSeconds("k", 10_000) === 0) { buckets.take("k", 10_000); sent++; }
    expect(sent).toBe(3);
    expect(buckets.waitSeconds("other", 10_000)).toBe(0);
  });

  it("never refills the same seconds twice when concurrent callers arrive with out-of-order timestamps", () => {
    const buckets = new TokenBuckets({ burst: 10, refillPerSecond: 1 });
    for (let i = 0; i < 10; i++) buckets.take("k", 0);
    // Callers that read the clock at 5 s, 2 s and 6 s, in that order: by 6 s exactly 6 tokens have refilled.
    let sent = 0;
    for (const at of [5_000, 2_000, 6_000]) {
      while (buckets.waitSeconds("k", at) === 0) { buckets.take("k", at); sent++; }
    }
    expect(sent).toBe(6);
  });
});
