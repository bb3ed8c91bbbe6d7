/**
 * Self-update, TriggerAutoUpdate's work. By default it only tells: a newer release shows in the heartbeat and as an
 * `AutoUpdate` event. With AUTO_UPDATE_MODE=apply it downloads the release's package, refuses it unless its SHA-256
 * matches the checksum published next to it, deploys it through ARM, and checks the heartbeat after
 * AUTO_UPDATE_VERIFY_MINUTES: an update whose heartbeat fails is rolled back to the package that ran before. Every
 * attempt is a row of autoupdaterequestdetailsstoretable.
 */
import { createHash, randomUUID } from "node:crypto";
import { compareVersions } from "../domain/semver";
import { isArmRequestError } from "../domain/armError";
import { classifyFailure } from "../domain/retryPolicy";
import { decideUpdate, parseChecksum, usableReleases, type Release } from "./release";
import type { AutoUpdateDeps, UpdateAttempt } from "./updateDeps";

export type CheckOutcome = "off" | "upToDate" | "alreadyHandled" | "notified" | "refused" | "deployed" | "failed";

export async function checkForUpdate(deps: AutoUpdateDeps): Promise<CheckOutcome> {
  const { mode, runningVersion } = deps.settings;
  if (mode === "off") return "off";
  const decision = decideUpdate(await deps.feed.releases(), runningVersion);
  if (decision.kind === "upToDate") return "upToDate";
  const { release, previous } = decision;
  const earlier = await deps.store.forVersion(release.version);
  // One notice per version; and a version that was applied (or rolled back) is never tried again on its own.
  if (mode === "notify" ? earlier.length > 0 : earlier.some((a) => a.state !== "Available")) return "alreadyHandled";
  const attempt: UpdateAttempt = {
    attemptId: randomUUID(), at: deps.clock.now(), fromVersion: runningVersion, toVersion: release.version, state: "Available",
    reason: `${release.version} is available (running ${runningVersion})`, packageUrl: release.packageUrl, previousPackageUrl: previous?.packageUrl,
  };
  if (mode === "notify") {
    await record(deps, attempt);
    return "notified";
  }
  const verified = await verifiedPackage(deps, release);
  if (!verified.ok) {
    await record(deps, { ...attempt, state: "Refused", reason: verified.reason });
    return "refused";
  }
  try {
    await deps.deployer.deploy(release.packageUrl);
  } catch (error) {
    await record(deps, { ...attempt, state: "Failed", sha256: verified.sha256, reason: `deploying ${release.version} failed: ${(error as Error).message}` });
    return "failed";
  }
  const deployed: UpdateAttempt = { ...attempt, state: "Deployed", sha256: verified.sha256, deployedAt: deps.clock.now(), reason: `${release.version} deployed; its heartbeat is checked after ${deps.settings.verifyMinutes} min` };
  await record(deps, deployed);
  await deps.queue.send({ kind: "verify", attemptId: deployed.attemptId }, deps.settings.verifyMinutes * 60);
  return "deployed";
}

/** After the wait: a heartbeat newer than the deployment decides; a failed one (or none at all) rolls back. */
export async function verifyUpdate(deps: AutoUpdateDeps, attemptId: string): Promise<UpdateAttempt | undefined> {
  const attempt = await deps.store.get(attemptId);
  if (!attempt || attempt.state !== "Deployed" || !attempt.deployedAt) return attempt;
  const beat = await deps.heartbeat.read();
  const after = beat && Date.parse(beat.checkedAt) > attempt.deployedAt.getTime();
  if (after && beat.ok) return record(deps, { ...attempt, state: "Succeeded", reason: `${attempt.toVersion} runs and its heartbeat passed at ${beat.checkedAt}` });
  const why = after ? `the heartbeat failed at ${beat!.checkedAt}` : "no heartbeat ran after the deployment";
  if (!attempt.previousPackageUrl) {
    return record(deps, { ...attempt, state: "Failed", reason: `${why}, and the package of ${attempt.fromVersion} is not in the feed: roll back by hand (azd deploy)` });
  }
  const previous = usableReleases(await deps.feed.releases()).find((r) => compareVersions(r.version, attempt.fromVersion) === 0);
  const checked = previous ? await verifiedPackage(deps, previous) : { ok: false as const, reason: `${attempt.fromVersion} left the feed` };
  if (!checked.ok) return record(deps, { ...attempt, state: "Failed", reason: `${why}; rolling back is not possible: ${checked.reason}` });
  try {
    await deps.deployer.deploy(attempt.previousPackageUrl);
  } catch (error) {
    // Throttling or an outage: the queue delivers the message again. Anything else will not heal by itself: say so.
    if (isArmRequestError(error) && classifyFailure(error.failure) !== "permanent") throw error;
    return record(deps, { ...attempt, state: "Failed", reason: `${why}, and rolling back to ${attempt.fromVersion} failed: ${(error as Error).message}; roll back by hand (azd deploy)` });
  }
  return record(deps, { ...attempt, state: "RolledBack", reason: `${why}: rolled back to ${attempt.fromVersion}` });
}

type Verified = { ok: true; sha256: string } | { ok: false; reason: string };

/** Downloads the package and its published checksum; only a match is deployed. */
async function verifiedPackage(deps: AutoUpdateDeps, release: Release): Promise<Verified> {
  let expected: string | undefined;
  let actual: string;
  try {
    expected = parseChecksum((await deps.feed.download(release.checksumUrl)).toString("utf8"));
    actual = createHash("sha256").update(await deps.feed.download(release.packageUrl)).digest("hex");
  } catch (error) {
    return { ok: false, reason: `downloading ${release.version} failed: ${(error as Error).message}` };
  }
  if (!expected) return { ok: false, reason: `the checksum file of ${release.version} holds no SHA-256` };
  if (expected !== actual) return { ok: false, reason: `the package of ${release.version} does not match its published SHA-256 (expected ${expected}, got ${actual}): refused, nothing deployed` };
  return { ok: true, sha256: actual };
}

async function record(deps: AutoUpdateDeps, attempt: UpdateAttempt): Promise<UpdateAttempt> {
  await deps.store.save(attempt);
  deps.telemetry.event("AutoUpdate", { attemptId: attempt.attemptId, state: attempt.state, fromVersion: attempt.fromVersion, toVersion: attempt.toVersion, reason: attempt.reason });
  return attempt;
}
