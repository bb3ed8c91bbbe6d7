/**
 * The executor's brakes, in one place: the circuit breaker per failure domain and the rate guards fed by
 * Azure's remaining-budget headers. The act step asks `admit` before every call; the act step and the
 * sweep report what happened. In memory, per host instance (see domain/circuitBreaker.ts).
 */
import { CircuitBreakers, type BreakerSettings } from "../domain/circuitBreaker";
import { RateGuard, type PacingBudget } from "../domain/pacing";
import type { FailureClass } from "../domain/retryPolicy";
import type { VmRecord } from "./records";

export interface RemainingBudget {
  /** x-ms-ratelimit-remaining-resource for the Compute policy of the call (UpdateVM / DeleteVM). */
  compute?: number;
  /** x-ms-ratelimit-remaining-subscription-writes. */
  armWrites?: number;
}

export type Admission = { go: true } | { go: false; waitSeconds: number; reason: string };

export class Backpressure {
  private readonly breakers: CircuitBreakers;
  private readonly computeGuard: RateGuard;
  private readonly writesGuard: RateGuard;

  constructor(budget: PacingBudget, breaker: BreakerSettings) {
    this.breakers = new CircuitBreakers(breaker);
    // Hold when less than a third of the plan's reserve is left; resume once the reserve is back.
    const reserve = (limit: PacingBudget["compute"]) => Math.max(2, Math.floor(limit.burst * (1 - budget.share)));
    this.computeGuard = new RateGuard({ lowWater: reserve(budget.compute) / 3, resumeAt: reserve(budget.compute), refillPerSecond: budget.compute.refillPerSecond });
    this.writesGuard = new RateGuard({ lowWater: reserve(budget.armWrites) / 3, resumeAt: reserve(budget.armWrites), refillPerSecond: budget.armWrites.refillPerSecond });
  }

  admit(row: VmRecord, nowMs: number): Admission {
    const held = Math.max(this.computeGuard.holdSeconds(computeKey(row), nowMs), this.writesGuard.holdSeconds(row.subscriptionId, nowMs));
    if (held > 0) return { go: false, waitSeconds: held, reason: "Azure's remaining request budget for this subscription/region is low" };
    const admission = this.breakers.admit(breakerKey(row), nowMs);
    if (!admission.allowed) {
      return {
        go: false,
        waitSeconds: admission.retryInSeconds,
        reason: `circuit open: operations on ${row.osType ?? "these"} VMs in ${row.location} keep failing on the platform side; probing before resuming`,
      };
    }
    return { go: true };
  }

  afterCall(row: VmRecord, remaining: RemainingBudget, nowMs: number): void {
    this.computeGuard.observe(computeKey(row), remaining.compute, nowMs);
    this.writesGuard.observe(row.subscriptionId, remaining.armWrites, nowMs);
  }

  /** A refused call or a failed operation. Throttling is the guards' business, not the breaker's. */
  afterFailure(row: VmRecord, failureClass: FailureClass, nowMs: number, retryAfterSeconds?: number): void {
    if (failureClass === "throttled") {
      // Everyone else waiting on these buckets would get the same 429: hold them all for the Retry-After.
      const until = nowMs + (retryAfterSeconds ?? 0) * 1000;
      this.computeGuard.holdAtLeast(computeKey(row), until);
      this.writesGuard.holdAtLeast(row.subscriptionId, until);
      return;
    }
    if (failureClass === "transient" || failureClass === "capacity") this.breakers.recordFailure(breakerKey(row), nowMs);
  }

  afterReached(row: VmRecord): void {
    this.breakers.recordSuccess(breakerKey(row));
  }
}

function computeKey(row: VmRecord): string {
  return `${row.subscriptionId}|${row.location}`.toLowerCase();
}

function breakerKey(row: VmRecord): string {
  return CircuitBreakers.key(row.subscriptionId, row.location, row.osType);
}
