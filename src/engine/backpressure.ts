/**
 * The executor's brakes, in one place: the circuit breaker per failure domain and the rate guards fed by
 * Azure's remaining-budget headers. The act step asks `admit` before every call; the act step and the
 * sweep report what happened. In memory, per host instance (see domain/circuitBreaker.ts). The pace itself is
 * the shared budget ledger's (src/budget/budgetLedger.ts): every instance draws its tokens there.
 */
import { CircuitBreakers, type BreakerSettings } from "../domain/circuitBreaker";
import { RateGuard, type PacingBudget } from "../domain/pacing";
import { classifyFailure } from "../domain/retryPolicy";
import type { ArmFailure } from "../domain/armError";
import type { VmRecord } from "./records";

export interface RemainingBudget {
  /** x-ms-ratelimit-remaining-resource for the Compute policy of the call (UpdateVM / DeleteVM). */
  compute?: number;
  /** x-ms-ratelimit-remaining-subscription-writes. */
  armWrites?: number;
}

/** Why a VM was told to wait: Azure's remaining budget (guard), the shared budget (budget), or an open circuit (breaker). */
export type HoldReason = "guard" | "budget" | "breaker";

export type Admission = { go: true } | { go: false; waitSeconds: number; reason: string; heldBy: HoldReason };

/** What the app knows about a failure domain whose operations keep failing. */
export interface Outage {
  domain: string;
  failures: number;
  since: Date;
  lastError: { code: string; message: string };
}

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

  /** Right before a call: may it go now? An open breaker lets one probe through at a time. */
  admit(row: VmRecord, nowMs: number): Admission {
    const held = this.guardHold(row, nowMs);
    if (held) return held;
    const admission = this.breakers.admit(breakerKey(row), nowMs);
    if (!admission.allowed) return { go: false, waitSeconds: admission.retryInSeconds, heldBy: "breaker", reason: this.breakerReason(row) };
    return { go: true };
  }

  /**
   * What `admit` would answer, without taking a probe: lets the act step leave a VM alone (no claim, no write but
   * its deferral) when it could not be called within the inline wait anyway.
   */
  peek(row: VmRecord, nowMs: number): Admission {
    const held = this.guardHold(row, nowMs);
    if (held) return held;
    const breakerWait = this.breakers.waitSeconds(breakerKey(row), nowMs);
    if (breakerWait > 0) return { go: false, waitSeconds: breakerWait, heldBy: "breaker", reason: this.breakerReason(row) };
    return { go: true };
  }

  private guardHold(row: VmRecord, nowMs: number): Admission | undefined {
    const held = Math.max(this.computeGuard.holdSeconds(computeKey(row), nowMs), this.writesGuard.holdSeconds(row.subscriptionId, nowMs));
    return held > 0 ? { go: false, waitSeconds: held, reason: "Azure's remaining request budget for this subscription/region is low", heldBy: "guard" } : undefined;
  }

  private breakerReason(row: VmRecord): string {
    const outage = this.describeOutage(row);
    return `circuit open: operations on ${domainName(row)} keep failing on the platform side` +
      (outage ? ` (${outage.failures} in a row since ${outage.since.toISOString()}, last ${outage.lastError.code}: ${outage.lastError.message})` : "") +
      "; probing before resuming";
  }

  /** `nowMs`: when the answer came. */
  afterCall(row: VmRecord, remaining: RemainingBudget, nowMs: number): void {
    this.computeGuard.observe(computeKey(row), remaining.compute, nowMs);
    this.writesGuard.observe(row.subscriptionId, remaining.armWrites, nowMs);
  }

  /**
   * A refused call or a failed operation. Throttling is the guards' business, not the breaker's; every
   * operation that Azure accepted and then failed counts towards the breaker, whatever its code.
   */
  afterFailure(row: VmRecord, failure: ArmFailure, nowMs: number): void {
    const failureClass = classifyFailure(failure);
    const retryAfterSeconds = failure.retryAfterSeconds;
    if (failureClass === "throttled") {
      // Everyone else waiting on these buckets would get the same 429: hold them all for the Retry-After.
      const until = nowMs + (retryAfterSeconds ?? 0) * 1000;
      this.computeGuard.holdAtLeast(computeKey(row), until);
      this.writesGuard.holdAtLeast(row.subscriptionId, until);
      return;
    }
    if (failureClass === "transient" || failureClass === "capacity" || failure.status === 200) {
      this.breakers.recordFailure(breakerKey(row), nowMs, { code: failure.code, message: failure.message });
    }
  }

  /** Is this VM's failure domain failing as a whole (its breaker open)? */
  domainFailing(row: VmRecord): boolean {
    return this.breakers.isOpen(breakerKey(row));
  }

  /** The outage of this VM's failure domain while its breaker is open (this instance's view), else undefined. */
  describeOutage(row: VmRecord): Outage | undefined {
    const story = this.breakers.describe(breakerKey(row));
    if (!story) return undefined;
    return { domain: domainName(row), failures: story.failures, since: new Date(story.since), lastError: story.lastError ?? { code: "Unknown", message: "no error recorded" } };
  }

  /** The failure domains whose breaker this instance holds open (`subscription|region|os`), for the dashboard. */
  openBreakers(): ReturnType<CircuitBreakers["openDomains"]> {
    return this.breakers.openDomains();
  }

  afterReached(row: VmRecord): void {
    this.breakers.recordSuccess(breakerKey(row));
  }
}

/** "Windows VMs in westeurope of subscription …": how a failure domain is named to people. */
export function domainName(row: Pick<VmRecord, "osType" | "location" | "subscriptionId">): string {
  return `${row.osType ?? "all"} VMs in ${row.location} of subscription ${row.subscriptionId}`;
}

function computeKey(row: VmRecord): string {
  return `${row.subscriptionId}|${row.location}`.toLowerCase();
}

function breakerKey(row: VmRecord): string {
  return CircuitBreakers.key(row.subscriptionId, row.location, row.osType);
}
