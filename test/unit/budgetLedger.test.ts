/**
 * The shared budget's rules against Azure's bucket, replayed: the ledger grants tokens at one moment, the calls reach
 * Azure a little later (anywhere within the grant's call window), and Azure's bucket, which spends a token only when a
 * call arrives and refills only up to its burst, must never be overdrawn (that would be a 429).
 */
import { describe, expect, it } from "vitest";
import { reserveFrom, refilled, spend, type BucketState } from "../../src/budget/budgetLedger";

const limit = { burst: 20, refillPerSecond: 2 };
const limits = { compute: limit, armWrites: { burst: 1000, refillPerSecond: 1000 } };

/** A seeded generator, so a failure replays. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Azure's bucket over the calls' arrival times: its lowest level (below zero = a throttled call). */
function azureLowest(arrivalsMs: number[]): number {
  let tokens = limit.burst;
  let at = 0;
  let lowest = Infinity;
  for (const t of [...arrivalsMs].sort((a, b) => a - b)) {
    tokens = Math.min(limit.burst, tokens + ((t - at) / 1000) * limit.refillPerSecond) - 1;
    at = t;
    lowest = Math.min(lowest, tokens);
  }
  return lowest;
}

/**
 * Callers ask for a few tokens at random moments; each granted call arrives at a random moment before its grant's
 * `callBy` (or, with `late`, up to that much after it). Returns the arrival times and the number granted.
 */
function replay(o: { windowMs: number; seed: number; seconds: number; late?: number }): { arrivals: number[]; granted: number; stateSizes: number[] } {
  const next = random(o.seed);
  let compute: BucketState | undefined;
  let writes: BucketState | undefined;
  const arrivals: number[] = [];
  const stateSizes: number[] = [];
  let granted = 0;
  for (let now = 0; now < o.seconds * 1000; now += Math.floor(next() * 400)) {
    const callByMs = now + o.windowMs;
    const step = reserveFrom({ compute, writes }, limits, { subscriptionId: "s", computeKey: "westeurope|UpdateVM", want: 1 + Math.floor(next() * 6), callByMs }, now);
    compute = step.compute;
    writes = step.writes;
    stateSizes.push(compute.inFlight.length);
    granted += step.result.granted;
    for (let i = 0; i < step.result.granted; i++) arrivals.push(now + next() * (o.windowMs + (o.late ?? 0)));
  }
  return { arrivals, granted, stateSizes };
}

describe("the shared budget ledger", () => {
  it("never lets granted calls overdraw Azure's bucket, wherever in the call window they arrive", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { arrivals } = replay({ windowMs: 3000, seed, seconds: 300 });
      expect(azureLowest(arrivals), `seed ${seed}`).toBeGreaterThanOrEqual(0);
    }
  });

  it("without the call window, the same late arrivals are throttled: the reservation-to-call gap it closes", () => {
    // Grants that claim their calls leave at once (window 0) while they really arrive up to 3 s later.
    const lowest = Math.min(...[1, 2, 3, 4].map((seed) => azureLowest(replay({ windowMs: 0, late: 3000, seed, seconds: 300 }).arrivals)));
    expect(lowest).toBeLessThan(0);
  });

  it("still spends the whole refill: over 5 minutes it grants the burst plus the refill, less what one window holds back", () => {
    const { granted } = replay({ windowMs: 3000, seed: 11, seconds: 300 });
    const most = limit.burst + 300 * limit.refillPerSecond;
    expect(granted).toBeLessThanOrEqual(most);
    expect(granted).toBeGreaterThanOrEqual(most - limit.refillPerSecond * 3 - limit.burst);
  });

  it("keeps one in-flight entry per second of the window, however many grants there are", () => {
    const { stateSizes } = replay({ windowMs: 3000, seed: 5, seconds: 120 });
    expect(Math.max(...stateSizes)).toBeLessThanOrEqual(4);
  });

  it("lowers the ceiling while tokens are in flight and restores it when their window ends", () => {
    const full = refilled(undefined, limit, 0);
    const after = spend(full, 15, 2000);
    expect(after.tokens).toBe(5);
    // One second later the bucket may only hold burst - 15 in flight = 5 tokens, though 2 have refilled.
    expect(refilled(after, limit, 1000).tokens).toBe(5);
    // Once the window ended the ceiling is the burst again, and refill goes on from there.
    expect(refilled(after, limit, 4000)).toEqual({ tokens: 9, at: 4000, inFlight: [] });
  });

  it("never moves back in time: an earlier clock reading refills nothing and keeps the in-flight tokens", () => {
    const s = spend(refilled(undefined, limit, 10_000), 10, 12_000);
    expect(refilled(s, limit, 9_000)).toEqual({ tokens: 10, at: 10_000, inFlight: [{ tokens: 10, until: 12_000 }] });
  });
});
