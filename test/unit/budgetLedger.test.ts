/**
 * The shared budget's rules against Azure's bucket, replayed: the ledger grants tokens at one moment, the calls reach
 * Azure a little later (anywhere within the grant's call window), and Azure's bucket, which spends a token only when a
 * call arrives and refills only up to its burst, must never be overdrawn (that would be a 429).
 */
import { describe, expect, it } from "vitest";
import { reserveFrom, refilled, spend, type BucketState } from "../../src/budget/budgetLedger";
import { ACTIVE_WINDOW_MS } from "../../src/budget/fairShare";

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
    const step = reserveFrom({ compute, writes }, limits, { subscriptionId: "s", requestId: "r", computeKey: "westeurope|UpdateVM", want: 1 + Math.floor(next() * 6), callByMs }, now);
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

/**
 * Requests sharing one bucket, as the executor uses the ledger: each VM is an ask; a refused VM comes back at the
 * grant's wait plus one token per VM ahead of it in the same message. Returns each request's grant times (ms).
 */
function shareReplay(asks: { requestId: string; label?: string; atMs: number; want: number }[], untilMs: number): Map<string, number[]> {
  let compute: BucketState | undefined;
  let writes: BucketState | undefined;
  const grants = new Map<string, number[]>();
  const queue = [...asks];
  while (queue.length > 0) {
    queue.sort((a, b) => a.atMs - b.atMs);
    const ask = queue.shift()!;
    if (ask.atMs > untilMs) break;
    const step = reserveFrom({ compute, writes }, limits, { subscriptionId: "s", requestId: ask.requestId, computeKey: "westeurope|UpdateVM", want: ask.want, callByMs: ask.atMs + 1000 }, ask.atMs);
    compute = step.compute;
    writes = step.writes;
    const label = ask.label ?? ask.requestId;
    grants.set(label, [...(grants.get(label) ?? []), ...Array(step.result.granted).fill(ask.atMs)]);
    for (let k = 0; k < ask.want - step.result.granted; k++) {
      queue.push({ requestId: ask.requestId, label, atMs: ask.atMs + (step.result.waitSeconds + k * step.result.secondsPerToken) * 1000, want: 1 });
    }
  }
  return grants;
}

describe("the shared budget's fair share between requests", () => {
  // A large request has drained the burst and lives on the refill, its VMs due one token apart; at 30 s a small
  // request asks for 20 at once.
  const large = Array.from({ length: 300 }, (_, i) => ({ requestId: "large", atMs: i * 500, want: 1 }));
  const small = { requestId: "small", atMs: 30_000, want: 20 };

  it("a small request posted while a large one spends the bucket gets the refill until it is done", () => {
    const grants = shareReplay([...large, small], 400_000);
    const smallGrants = grants.get("small")!;
    expect(smallGrants).toHaveLength(20);
    // 20 tokens at 2 per second is 10 s: the small request is done in about that, not after the large one.
    expect(Math.max(...smallGrants) - small.atMs).toBeLessThanOrEqual(11_000);
    expect(grants.get("large")!.filter((t) => t > Math.max(...smallGrants)).length).toBeGreaterThan(100);
  });

  it("without the fair share (the same asks under one request id) the small one's VMs wait far longer", () => {
    const grants = shareReplay([...large, { ...small, requestId: "large", label: "small" }], 400_000).get("small")!;
    expect(grants).toHaveLength(20);
    expect(Math.max(...grants) - small.atMs).toBeGreaterThan(30_000);
  });

  it("two large requests asking together alternate: neither is ever more than a few tokens ahead", () => {
    const a = Array.from({ length: 200 }, (_, i) => ({ requestId: "a", atMs: i * 250, want: 1 }));
    const b = Array.from({ length: 200 }, (_, i) => ({ requestId: "b", atMs: i * 250 + 100, want: 1 }));
    const grants = shareReplay([...a, ...b], 400_000);
    const times = [...grants.get("a")!.map((t) => ({ t, id: "a" })), ...grants.get("b")!.map((t) => ({ t, id: "b" }))].sort((x, y) => x.t - y.t);
    let lead = 0;
    let widest = 0;
    for (const { id } of times) {
      lead += id === "a" ? 1 : -1;
      widest = Math.max(widest, Math.abs(lead));
    }
    expect(times).toHaveLength(400);
    // The burst goes to whoever asks first (both are equal then); after it, each token goes to the one served less.
    expect(widest).toBeLessThanOrEqual(limit.burst / 2 + 2);
    const afterBurst = times.slice(limit.burst + 10);
    const aShare = afterBurst.filter((x) => x.id === "a").length / afterBurst.length;
    expect(aShare).toBeGreaterThan(0.45);
    expect(aShare).toBeLessThan(0.55);
  });

  it("holds no token for a request that has stopped asking: once it is forgotten the whole refill is spent again", () => {
    const grants = shareReplay([...large, small], 400_000);
    const smallDone = Math.max(...grants.get("small")!);
    const largeGrants = grants.get("large")!;
    const lastLarge = Math.max(...largeGrants);
    // From the small request's last grant the large one gets every token but the one held for the small one, and
    // none is held once the small one has not asked for the active window.
    const tokensAfter = (from: number) => ((lastLarge - from) / 1000) * limit.refillPerSecond;
    const afterForgotten = largeGrants.filter((t) => t > smallDone + ACTIVE_WINDOW_MS).length;
    expect(afterForgotten).toBeGreaterThanOrEqual(Math.floor(tokensAfter(smallDone + ACTIVE_WINDOW_MS)));
    expect(largeGrants).toHaveLength(300);
  });

  it("a request that disappears while waiting pauses the others at most once, for the active window", () => {
    // The small request takes the burst, is refused 20 more, and never comes back (its deadline passed, say).
    const asks = [...large];
    let compute: BucketState | undefined;
    let writes: BucketState | undefined;
    const granted: number[] = [];
    const smallAsk = reserveFrom({}, limits, { subscriptionId: "s", requestId: "small", computeKey: "k", want: 20, callByMs: 0 }, 0);
    ({ compute, writes } = smallAsk);
    expect(smallAsk.result.granted).toBe(limit.burst);
    const refused = reserveFrom({ compute, writes }, limits, { subscriptionId: "s", requestId: "small", computeKey: "k", want: 20, callByMs: 100 }, 100);
    ({ compute, writes } = refused);
    for (const ask of asks) {
      const step = reserveFrom({ compute, writes }, limits, { subscriptionId: "s", requestId: "large", computeKey: "k", want: 1, callByMs: ask.atMs + 1000 }, ask.atMs + 200);
      ({ compute, writes } = step);
      if (step.result.granted > 0) granted.push(ask.atMs);
    }
    // The large request is served less than the vanished one at first, then more: from then on it leaves the 20 the
    // vanished one was refused, until the window forgets it, and after that it gets every token again.
    const after = granted.filter((t) => t > 100 + ACTIVE_WINDOW_MS);
    const expected = ((asks[asks.length - 1]!.atMs - (100 + ACTIVE_WINDOW_MS)) / 1000) * limit.refillPerSecond;
    expect(after.length).toBeGreaterThanOrEqual(Math.floor(expected) - 1);
  });

  it("writes a refusal only to register the request as waiting, not on every refusal", () => {
    const empty = { ...spend(refilled(undefined, limit, 0), 20, 1000) };
    const first = reserveFrom({ compute: empty }, limits, { subscriptionId: "s", requestId: "x", computeKey: "k", want: 1, callByMs: 1000 }, 100);
    expect(first.result.granted).toBe(0);
    expect(first.changed).toBe(true);
    const again = reserveFrom({ compute: first.compute, writes: first.writes }, limits, { subscriptionId: "s", requestId: "x", computeKey: "k", want: 1, callByMs: 1200 }, 200);
    expect(again.result.granted).toBe(0);
    expect(again.changed).toBe(false);
  });
});
