/**
 * The guardian's rule, pure: a deployed update whose new version has not passed one heartbeat within one and a half
 * heartbeat periods of its deployment did not start, and is rolled back; one whose heartbeat passed after its deployment is never
 * touched, whatever happens later (a failing heartbeat of a version that runs is the app's own check to judge).
 */
import type { UpdateAttempt } from "../autoUpdate/updateDeps";

/**
 * How many heartbeat periods a new version has to pass its first heartbeat. A version that started runs its heartbeat
 * within one period (the timer fires once per period); half a period more covers a slow cold start.
 */
export const START_PERIODS = 1.5;

/**
 * The promise: a release that cannot start is rolled back within this many heartbeat periods of its deployment. It
 * holds when the guardian ticks at least every half period (GUARDIAN_SCHEDULE; the default, every minute, is a fifth
 * of the default 5-minute period): the decision comes at START_PERIODS, the rollback at the next tick.
 */
export const ROLLBACK_WITHIN_PERIODS = 2;

export type GuardianVerdict =
  | { kind: "started"; passedAt: Date }
  | { kind: "waiting"; untilMs: number }
  | { kind: "didNotStart"; why: string };

export function judgeDeployment(attempt: UpdateAttempt & { deployedAt: Date }, lastPassed: Date | undefined, now: Date, heartbeatPeriodSeconds: number): GuardianVerdict {
  const deployedMs = attempt.deployedAt.getTime();
  if (lastPassed && lastPassed.getTime() > deployedMs) return { kind: "started", passedAt: lastPassed };
  const untilMs = deployedMs + START_PERIODS * heartbeatPeriodSeconds * 1000;
  if (now.getTime() < untilMs) return { kind: "waiting", untilMs };
  const minutes = Math.round((START_PERIODS * heartbeatPeriodSeconds) / 6) / 10;
  return { kind: "didNotStart", why: `${attempt.toVersion} did not start: no heartbeat by ${attempt.toVersion} passed within ${START_PERIODS} heartbeat periods (${minutes} min) of its deployment at ${attempt.deployedAt.toISOString()}` };
}
