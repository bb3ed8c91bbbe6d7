/**
 * The shared budget: one copy of each of Azure's buckets that a power call spends, kept in storage so that every
 * request and every host instance draws from the same tokens (an instance's in-memory copy only sees its own calls,
 * and a request's plan only its own VMs). Two buckets bound a start or deallocate in one subscription: Compute's for
 * the region and operation, and Resource Manager's writes for the app's principal. Tokens of both are taken together.
 *
 * A granted token is spent in the ledger at once, but Azure spends it only when the call arrives, which may be a
 * moment later. While the call is on its way Azure's bucket still holds that token, so it reaches its burst sooner and
 * loses refill the ledger would otherwise count on: granted tokens would then reach Azure as 429s. So every grant is
 * "in flight" until `callBy`, the latest moment its calls may leave, and while it is, the ledger's bucket holds at most
 * burst minus the tokens in flight. Then the ledger never has more than Azure has, whenever in that window the calls
 * leave; a call that could not leave by `callBy` must not be sent, and goes back to the ledger for a new grant.
 */
import type { TokenBucketLimit } from "../domain/pacing";
import { activeShares, heldBack, recordAsk, type RequestShares } from "./fairShare";

/** The two buckets one group of calls spends: e.g. compute `westeurope|UpdateVM` and ARM `writes`, in one subscription. */
export interface BudgetDemand {
  subscriptionId: string;
  /** The request the calls belong to: the bucket is shared fairly between requests (see fairShare.ts). */
  requestId: string;
  computeKey: string;
  /** How many calls the caller would like to make now. */
  want: number;
  /** Epoch ms: the latest moment the granted calls may leave. A call not sent by then must not be sent. */
  callByMs: number;
}

export interface BudgetGrant {
  /** Calls that may be made now (0..want), until the demand's `callByMs`; their tokens are spent. */
  granted: number;
  /** When the next token of the scarcer bucket comes, for the calls not granted. */
  waitSeconds: number;
  /** Seconds between tokens of the scarcer bucket: the k-th call not granted is due k of these after `waitSeconds`. */
  secondsPerToken: number;
}

export interface BudgetLedger {
  reserve(demand: BudgetDemand, nowMs: number): Promise<BudgetGrant>;
}

/** Tokens granted whose calls may still be on their way until `until` (epoch ms). */
export interface InFlight {
  tokens: number;
  until: number;
}

export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
  /** Grants whose calls may not have reached Azure yet; they lower the bucket's ceiling until they expire. */
  inFlight: InFlight[];
  /** Compute's buckets only: what each request drawing from it was granted while active (see fairShare.ts). */
  shares?: RequestShares;
}

/**
 * Pure: the bucket refilled up to `nowMs` (never backwards in time). Between two expiries of in-flight grants the
 * ceiling is constant, so the refill is computed piece by piece; expired grants are dropped.
 */
export function refilled(state: BucketState | undefined, limit: TokenBucketLimit, nowMs: number): BucketState {
  if (!state) return { tokens: limit.burst, at: nowMs, inFlight: [] };
  const end = Math.max(state.at, nowMs);
  const pending = state.inFlight.filter((f) => f.until > state.at).sort((a, b) => a.until - b.until);
  let tokens = state.tokens;
  let at = state.at;
  let inFlightTokens = pending.reduce((sum, f) => sum + f.tokens, 0);
  for (const f of [...pending.filter((p) => p.until <= end), { tokens: 0, until: end }]) {
    tokens = Math.min(limit.burst - inFlightTokens, tokens + ((f.until - at) / 1000) * limit.refillPerSecond);
    at = f.until;
    inFlightTokens -= f.tokens;
  }
  // Spending lowers the tokens and the ceiling together, so the tokens never start above it; `min` keeps them under.
  return { ...state, tokens, at: end, inFlight: pending.filter((p) => p.until > end) };
}

/**
 * Pure: how many of `want` calls both buckets allow now, and the wait for the rest. `holdBack` Compute tokens are left
 * for requests served less than this one (fairShare.ts).
 */
export function grant(compute: BucketState, writes: BucketState, limits: { compute: TokenBucketLimit; armWrites: TokenBucketLimit }, want: number, holdBack = 0): BudgetGrant {
  const computeTokens = compute.tokens - holdBack;
  const granted = Math.max(0, Math.min(want, Math.floor(computeTokens), Math.floor(writes.tokens)));
  const secondsPerToken = 1 / Math.min(limits.compute.refillPerSecond, limits.armWrites.refillPerSecond);
  if (granted === want) return { granted, waitSeconds: 0, secondsPerToken };
  const wait = (tokens: number, limit: TokenBucketLimit) => Math.max(0, (1 - (tokens - granted)) / limit.refillPerSecond);
  return { granted, waitSeconds: Math.max(wait(computeTokens, limits.compute), wait(writes.tokens, limits.armWrites), 0.05), secondsPerToken };
}

/**
 * Pure: the bucket after `count` tokens were granted for calls that may leave until `untilMs`. Grants that expire
 * within the same second share one entry, so the state stays small however many grants are in flight.
 */
export function spend(state: BucketState, count: number, untilMs: number): BucketState {
  if (count === 0) return state;
  const until = Math.ceil(untilMs / 1000) * 1000;
  const inFlight = state.inFlight.map((f) => ({ ...f }));
  const same = inFlight.find((f) => f.until === until);
  if (same) same.tokens += count;
  else inFlight.push({ tokens: count, until });
  return { ...state, tokens: state.tokens - count, inFlight };
}

/**
 * The grant rules over both buckets, as every ledger applies them: refill, decide (fairly between requests), spend.
 * `changed` says whether the buckets must be written back: always after a grant, and after a refusal only when the
 * refused request must be (re-)registered as waiting.
 */
export function reserveFrom(
  stored: { compute?: BucketState; writes?: BucketState },
  limits: { compute: TokenBucketLimit; armWrites: TokenBucketLimit },
  demand: BudgetDemand,
  nowMs: number,
): { result: BudgetGrant; compute: BucketState; writes: BucketState; changed: boolean } {
  const refilledCompute = refilled(stored.compute, limits.compute, nowMs);
  const writes = refilled(stored.writes, limits.armWrites, nowMs);
  const shares = activeShares(refilledCompute.shares, nowMs);
  const result = grant(refilledCompute, writes, limits, demand.want, heldBack(shares, demand.requestId));
  const asked = recordAsk(shares, demand.requestId, demand.want, result.granted, nowMs);
  const callBy = Math.max(demand.callByMs, nowMs);
  const compute = { ...spend(refilledCompute, result.granted, callBy), shares: asked.shares };
  return { result, compute, writes: spend(writes, result.granted, callBy), changed: asked.changed };
}

/** The share of Azure's documented buckets the ledger hands out (the rest absorbs retries and other callers). */
export function ledgerLimits(budget: { compute: TokenBucketLimit; armWrites: TokenBucketLimit; share: number }): { compute: TokenBucketLimit; armWrites: TokenBucketLimit } {
  const share = (l: TokenBucketLimit) => ({ burst: l.burst * budget.share, refillPerSecond: l.refillPerSecond * budget.share });
  return { compute: share(budget.compute), armWrites: share(budget.armWrites) };
}
