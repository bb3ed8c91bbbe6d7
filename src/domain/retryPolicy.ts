/**
 * Retry, backoff and the deadline as named concepts (after BullMQ): every "should we try again, and when?"
 * in the app is answered here and nowhere else. Pure: time and randomness come in as parameters.
 */
import type { ArmFailure } from "./armError";

export type FailureClass = "throttled" | "transient" | "capacity" | "permanent";

/** Start can fail for lack of capacity in the region/zone; Azure's guidance is to retry later (docs/azure-facts.md#capacity-errors). */
const CAPACITY_CODES = new Set(["allocationfailed", "zonalallocationfailed", "overconstrainedallocationrequest", "skunotavailable"]);

/** Codes that describe a passing condition even when they arrive with a 4xx or inside a failed operation. */
const TRANSIENT_CODES = new Set([
  "conflict", "operationpreempted", "retryableerror", "internalexecutionerror", "internalservererror",
  "serviceunavailable", "gatewaytimeout", "requesttimeout", "vmagentstatuscommunicationerror",
  "request_send_error", "econnreset", "econnrefused", "etimedout",
]);

export function classifyFailure(failure: ArmFailure): FailureClass {
  const code = failure.code.toLowerCase();
  if (failure.status === 429) return "throttled";
  if (CAPACITY_CODES.has(code)) return "capacity";
  if (failure.status === undefined) return "transient";
  if (failure.status >= 500 || failure.status === 408 || failure.status === 409) return "transient";
  if (TRANSIENT_CODES.has(code)) return "transient";
  return "permanent";
}

export interface RetryContext {
  /** Many VMs of this VM's failure domain (subscription + region + OS) are failing right now. */
  domainFailing?: boolean;
}

/**
 * An operation Azure accepted and then failed with a code we do not know to be transient (status 200:
 * the failure came from the operation, not from a refusal) gets one more try, and keeps being retried
 * while its whole failure domain is failing: one VM failing is about the VM, twenty in a row is the
 * platform (the 2021-10-13 incident failed Windows VM operations everywhere with extension errors).
 */
function classifyInContext(failure: ArmFailure, attempt: number, context: RetryContext): FailureClass {
  const failureClass = classifyFailure(failure);
  if (failureClass === "permanent" && failure.status === 200 && (attempt < 2 || context.domainFailing)) return "transient";
  return failureClass;
}

export interface BackoffSettings {
  /** First delay, seconds. */
  baseSeconds: number;
  /** Largest delay, seconds. */
  maxSeconds: number;
}

export interface RetryPolicy {
  transient: BackoffSettings;
  /** Capacity shortages last longer than blips: start slower. */
  capacity: BackoffSettings;
  /** Used when a 429 carries no Retry-After. */
  throttledDefaultSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  transient: { baseSeconds: 5, maxSeconds: 300 },
  capacity: { baseSeconds: 60, maxSeconds: 900 },
  throttledDefaultSeconds: 30,
};

/**
 * Capped exponential backoff with "equal jitter": half fixed, half random, so retries of many VMs
 * spread out instead of arriving together. `attempt` counts from 1 for the first retry.
 */
export function backoffSeconds(settings: BackoffSettings, attempt: number, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(settings.maxSeconds, settings.baseSeconds * 2 ** exponent);
  return Math.max(1, Math.round(capped / 2 + (capped / 2) * random()));
}

export type RetryDecision =
  | { retry: true; afterSeconds: number; failureClass: FailureClass }
  | { retry: false; failureClass: FailureClass; reason: string };

/**
 * Decides what happens after `failure` on attempt number `attempt` (1 = the first call).
 * Retries stop at the request's deadline: a retry that could only start after it is pointless.
 */
export function decideRetry(
  failure: ArmFailure,
  attempt: number,
  now: Date,
  deadline: Date,
  policy: RetryPolicy,
  random: () => number,
  context: RetryContext = {},
): RetryDecision {
  const failureClass = classifyInContext(failure, attempt, context);
  if (failureClass === "permanent") {
    return { retry: false, failureClass, reason: explainPermanent(failure) };
  }
  const afterSeconds =
    failureClass === "throttled"
      ? Math.max(1, Math.ceil(failure.retryAfterSeconds ?? policy.throttledDefaultSeconds))
      : backoffSeconds(failureClass === "capacity" ? policy.capacity : policy.transient, attempt, random);
  if (now.getTime() + afterSeconds * 1000 >= deadline.getTime()) {
    return {
      retry: false,
      failureClass,
      reason: `gave up at the request deadline (${deadline.toISOString()}) after ${attempt} attempt(s); last error ${failure.code}: ${failure.message}`,
    };
  }
  return { retry: true, afterSeconds, failureClass };
}

/** Permanent errors get a sentence a person can act on, keeping ARM's own words. */
export function explainPermanent(failure: ArmFailure): string {
  const hint =
    failure.status === 403
      ? "the app's identity lacks permission on this VM: grant it the Start/Stop VM role on the VM's subscription or resource group"
      : failure.status === 404
        ? "the VM (or its resource group/subscription) does not exist or is not visible to the app's identity"
        : failure.status === 400
          ? "Azure rejected the request as invalid for this VM"
          : "Azure reported an error that retrying will not fix";
  return `${hint}. Azure said ${failure.code}: ${failure.message}`;
}
