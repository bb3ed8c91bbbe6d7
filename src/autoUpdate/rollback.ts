/**
 * Rolling a failed update back, the same way whoever does it (the new version's own check, or the guardian from outside
 * the app): first the etag-checked change of the attempt from `Deployed` to `RollingBack` by that actor, so of two
 * deciding at once exactly one deploys; then the deployment of the package that ran before, from the deployment
 * container where the app staged it (verified) before it deployed the new one; then `RolledBack`. A deployment that
 * fails for a passing reason leaves the attempt `RollingBack` by the same actor, who tries again at its next turn.
 */
import { isArmRequestError } from "../domain/armError";
import { classifyFailure } from "../domain/retryPolicy";
import type { AppDeployer, AutoUpdateStore, RollbackActor, UpdateAttempt } from "./updateDeps";

export interface RollbackDeps {
  store: Pick<AutoUpdateStore, "replaceIfUnchanged">;
  deployer: AppDeployer;
}

export type RollbackOutcome =
  /** Someone else changed the attempt first (it settled, or another actor is rolling back): nothing deployed. */
  | { kind: "lost" }
  /** The deployment failed for a passing reason: the attempt stays RollingBack by this actor, to be tried again. */
  | { kind: "retry"; attempt: UpdateAttempt; reason: string }
  | { kind: "rolledBack"; attempt: UpdateAttempt }
  /** Nothing to roll back to, or the deployment was refused for good: Failed, roll back by hand. */
  | { kind: "failed"; attempt: UpdateAttempt };

/**
 * `attempt` as read (with its etag): `Deployed`, or `RollingBack` by `by` (a retry). `why` says what went wrong with
 * the new version; it is the attempt's reason while it rolls back.
 */
export async function rollBack(deps: RollbackDeps, attempt: UpdateAttempt, by: RollbackActor, why: string): Promise<RollbackOutcome> {
  const resumed = attempt.state === "RollingBack" && attempt.rollbackBy === by;
  if (attempt.state !== "Deployed" && !resumed) return { kind: "lost" };
  const claimed = resumed ? attempt : await deps.store.replaceIfUnchanged({ ...attempt, state: "RollingBack", rollbackBy: by, reason: why });
  if (!claimed) return { kind: "lost" };
  const actor = by === "guardian" ? "by the guardian " : "";
  if (!claimed.previousStagedUrl) return settle(deps, claimed, "failed", `${why}; the package of ${claimed.fromVersion} was not staged before the update, so nothing rolls back ${actor}: roll back by hand (azd deploy)`);
  try {
    await deps.deployer.deploy(claimed.previousStagedUrl);
  } catch (error) {
    const message = (error as Error).message;
    // Throttling or an outage: tried again at the next turn. Anything else will not heal by itself: say so.
    if (!isArmRequestError(error) || classifyFailure(error.failure) !== "permanent") return { kind: "retry", attempt: claimed, reason: `${why}; rolling back ${actor}waits: ${message}` };
    return settle(deps, claimed, "failed", `${why}, and rolling back ${actor}to ${claimed.fromVersion} failed: ${message}; roll back by hand (azd deploy)`);
  }
  return settle(deps, claimed, "rolledBack", by === "guardian" ? `${why}; rolled back by the guardian to ${claimed.fromVersion}` : `${why}: rolled back to ${claimed.fromVersion}`);
}

async function settle(deps: RollbackDeps, claimed: UpdateAttempt, kind: "rolledBack" | "failed", reason: string): Promise<RollbackOutcome> {
  const next: UpdateAttempt = { ...claimed, state: kind === "rolledBack" ? "RolledBack" : "Failed", reason };
  // Only this actor changes a row it holds RollingBack; losing here means the row was changed by hand: keep what we did.
  return { kind, attempt: (await deps.store.replaceIfUnchanged(next)) ?? next };
}
