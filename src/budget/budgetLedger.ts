/**
 * The shared budget: one copy of each of Azure's buckets that a power call spends, kept in storage so that every
 * request and every host instance draws from the same tokens (an instance's in-memory copy only sees its own calls,
 * and a request's plan only its own VMs). Two buckets bound a start or deallocate in one subscription: Compute's for
 * the region and operation, and Resource Manager's writes for the app's principal. Tokens of both are taken together.
 */
import type { TokenBucketLimit } from "../domain/pacing";

/** The two buckets one group of calls spends: e.g. compute `westeurope|UpdateVM` and ARM `writes`, in one subscription. */
export interface BudgetDemand {
  subscriptionId: string;
  computeKey: string;
  /** How many calls the caller would like to make now. */
  want: number;
}

export interface BudgetGrant {
  /** Calls that may be made now (0..want); their tokens are spent. */
  granted: number;
  /** When the next token of the scarcer bucket comes, for the calls not granted. */
  waitSeconds: number;
  /** Seconds between tokens of the scarcer bucket: the k-th call not granted is due k of these after `waitSeconds`. */
  secondsPerToken: number;
}

export interface BudgetLedger {
  reserve(demand: BudgetDemand, nowMs: number): Promise<BudgetGrant>;
}

export interface BucketState {
  tokens: number;
  /** Epoch ms of the last refill. */
  at: number;
}

/** Pure: the bucket refilled up to `nowMs` (never backwards in time). */
export function refilled(state: BucketState | undefined, limit: TokenBucketLimit, nowMs: number): BucketState {
  if (!state) return { tokens: limit.burst, at: nowMs };
  const at = Math.max(state.at, nowMs);
  return { tokens: Math.min(limit.burst, state.tokens + ((at - state.at) / 1000) * limit.refillPerSecond), at };
}

/** Pure: how many of `want` calls both buckets allow now, and the wait for the rest. */
export function grant(compute: BucketState, writes: BucketState, limits: { compute: TokenBucketLimit; armWrites: TokenBucketLimit }, want: number): BudgetGrant {
  const granted = Math.max(0, Math.min(want, Math.floor(compute.tokens), Math.floor(writes.tokens)));
  const secondsPerToken = 1 / Math.min(limits.compute.refillPerSecond, limits.armWrites.refillPerSecond);
  if (granted === want) return { granted, waitSeconds: 0, secondsPerToken };
  const wait = (tokens: number, limit: TokenBucketLimit) => Math.max(0, (1 - (tokens - granted)) / limit.refillPerSecond);
  return { granted, waitSeconds: Math.max(wait(compute.tokens, limits.compute), wait(writes.tokens, limits.armWrites), 0.05), secondsPerToken };
}
