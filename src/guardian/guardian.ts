/**
 * The guardian's tick: it runs in its own function app, never self-updated, so a release of the main app that cannot
 * start at all (and so never runs its own check, verifyUpdate) is still rolled back. It looks at the newest deployed
 * self-update attempt only; when the rule (rule.ts) says the new version did not start, it rolls back exactly as the app
 * would (src/autoUpdate/rollback.ts: etag-checked claim, then the previous package from the deployment container).
 * A rollback that failed for a passing reason is tried again at the next tick.
 */
import type { Clock } from "../engine/ports";
import type { Telemetry } from "../telemetry/telemetry";
import type { AppDeployer, AutoUpdateStore, UpdateAttempt } from "../autoUpdate/updateDeps";
import { rollBack } from "../autoUpdate/rollback";
import { assertNever } from "../targets/powerAction";
import { judgeDeployment } from "./rule";

export interface GuardianDeps {
  attempts: Pick<AutoUpdateStore, "inFlight" | "replaceIfUnchanged">;
  heartbeats: { lastPassed(version: string): Promise<Date | undefined> };
  deployer: AppDeployer;
  clock: Pick<Clock, "now">;
  telemetry: Pick<Telemetry, "event">;
  settings: {
    /** The main app's heartbeat period (HEARTBEAT_SCHEDULE's), in the app's seconds. */
    heartbeatPeriodSeconds: number;
  };
}

export type TickOutcome =
  | { kind: "idle" }
  | { kind: "started"; attempt: UpdateAttempt }
  | { kind: "waiting"; attempt: UpdateAttempt }
  /** The app's own check holds the rollback. */
  | { kind: "appRollingBack"; attempt: UpdateAttempt }
  | { kind: "lost"; attempt: UpdateAttempt }
  | { kind: "retrying"; attempt: UpdateAttempt; reason: string }
  | { kind: "rolledBack"; attempt: UpdateAttempt }
  | { kind: "failed"; attempt: UpdateAttempt };

export async function guardianTick(deps: GuardianDeps): Promise<TickOutcome> {
  const [newest] = await deps.attempts.inFlight();
  if (!newest?.deployedAt) return { kind: "idle" };
  if (newest.state === "RollingBack") {
    if (newest.rollbackBy !== "guardian") return { kind: "appRollingBack", attempt: newest };
    return act(deps, newest, newest.reason);
  }
  const verdict = judgeDeployment({ ...newest, deployedAt: newest.deployedAt }, await deps.heartbeats.lastPassed(newest.toVersion), deps.clock.now(), deps.settings.heartbeatPeriodSeconds);
  switch (verdict.kind) {
    case "started":
      return { kind: "started", attempt: newest };
    case "waiting":
      return { kind: "waiting", attempt: newest };
    case "didNotStart":
      return act(deps, newest, verdict.why);
    default:
      return assertNever(verdict, "guardian verdict");
  }
}

async function act(deps: GuardianDeps, attempt: UpdateAttempt, why: string): Promise<TickOutcome> {
  const outcome = await rollBack({ store: deps.attempts, deployer: deps.deployer }, attempt, "guardian", why);
  switch (outcome.kind) {
    case "lost":
      return { kind: "lost", attempt };
    case "retry":
      announce(deps, outcome.attempt, outcome.reason);
      return { kind: "retrying", attempt: outcome.attempt, reason: outcome.reason };
    case "rolledBack":
    case "failed":
      announce(deps, outcome.attempt, outcome.attempt.reason);
      return { kind: outcome.kind, attempt: outcome.attempt };
    default:
      return assertNever(outcome, "rollback outcome");
  }
}

function announce(deps: GuardianDeps, attempt: UpdateAttempt, reason: string): void {
  deps.telemetry.event("AutoUpdate", { attemptId: attempt.attemptId, state: attempt.state, fromVersion: attempt.fromVersion, toVersion: attempt.toVersion, reason, by: "guardian" });
}
