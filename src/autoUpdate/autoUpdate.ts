/**
 * Self-update, TriggerAutoUpdate's work. By default it only tells: a newer release shows in the heartbeat and as an
 * `AutoUpdate` event. With AUTO_UPDATE_MODE=apply it downloads the release's package once, refuses it unless its
 * Ed25519 signature verifies against the key pinned in the app settings (and its SHA-256 matches the published one),
 * stages exactly those bytes in the app's own deployment container, deploys them from there through ARM, and checks
 * the heartbeat after AUTO_UPDATE_VERIFY_MINUTES: only a passing heartbeat run by the new version keeps it; otherwise
 * the package that ran before is deployed again (verified and staged the same way). A download or deployment that
 * failed for a passing reason is tried again at the next check, never recorded as a refusal. Every attempt is a row of
 * autoupdaterequestdetailsstoretable.
 */
import { createHash, randomUUID } from "node:crypto";
import { compareVersions } from "../domain/semver";
import { isArmRequestError } from "../domain/armError";
import { classifyFailure } from "../domain/retryPolicy";
import { decideUpdate, packageName, parseChecksum, usableReleases, type Release } from "./release";
import { parseSignature, signatureValid } from "./signature";
import type { AutoUpdateDeps, UpdateAttempt } from "./updateDeps";

export type CheckOutcome = "off" | "upToDate" | "alreadyHandled" | "notified" | "refused" | "retrying" | "deployed" | "failed";

/** How long a rollback that could not be made for a passing reason waits before it is tried again (app minutes). */
const ROLLBACK_RETRY_MINUTES = 5;

export async function checkForUpdate(deps: AutoUpdateDeps): Promise<CheckOutcome> {
  const { mode, runningVersion } = deps.settings;
  if (mode === "off") return "off";
  const decision = decideUpdate(await deps.feed.releases(), runningVersion, deps.settings.feedUrl);
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
    // A download that failed is tried again at the next check: "Available" never blocks a later attempt.
    await record(deps, { ...attempt, state: verified.transient ? "Available" : "Refused", reason: verified.transient ? `${verified.reason}; tried again at the next check` : verified.reason });
    return verified.transient ? "retrying" : "refused";
  }
  let stagedUrl: string;
  try {
    stagedUrl = await deps.staging.stage(stagedName(release.version, verified.sha256), verified.bytes);
  } catch (error) {
    await record(deps, { ...attempt, state: "Available", sha256: verified.sha256, reason: `staging ${release.version} in the deployment container failed: ${(error as Error).message}; tried again at the next check` });
    return "retrying";
  }
  // Recorded, and its check queued, before the deployment: the platform restarts the app when the package lands.
  const deployed: UpdateAttempt = {
    ...attempt, state: "Deployed", sha256: verified.sha256, stagedUrl, deployedAt: deps.clock.now(),
    reason: `${release.version} deployed (signature verified, staged at ${stagedUrl}); the new version's heartbeat is checked after ${deps.settings.verifyMinutes} min`,
  };
  await record(deps, deployed);
  await deps.queue.send({ kind: "verify", attemptId: deployed.attemptId }, deps.settings.verifyMinutes * 60);
  try {
    await deps.deployer.deploy(stagedUrl);
  } catch (error) {
    const passing = isArmRequestError(error) && classifyFailure(error.failure) !== "permanent";
    await record(deps, {
      ...deployed, state: passing ? "Available" : "Failed", deployedAt: undefined,
      reason: `deploying ${release.version} failed: ${(error as Error).message}${passing ? "; tried again at the next check" : ""}`,
    });
    return passing ? "retrying" : "failed";
  }
  return "deployed";
}

/**
 * After the wait: a heartbeat newer than the deployment, run by the new version, decides; a failed one, one still run
 * by another version (the new one did not start), or none at all rolls back.
 */
export async function verifyUpdate(deps: AutoUpdateDeps, attemptId: string): Promise<UpdateAttempt | undefined> {
  const attempt = await deps.store.get(attemptId);
  if (!attempt || attempt.state !== "Deployed" || !attempt.deployedAt) return attempt;
  const beat = await deps.heartbeat.read();
  const after = beat && Date.parse(beat.checkedAt) > attempt.deployedAt.getTime() ? beat : undefined;
  const byNewVersion = after && after.version !== undefined && compareVersions(after.version, attempt.toVersion) === 0;
  if (after && byNewVersion && after.ok) return record(deps, { ...attempt, state: "Succeeded", reason: `${attempt.toVersion} runs and its heartbeat passed at ${after.checkedAt}` });
  // The new version is the one checking (so it started) but has not run its first heartbeat yet: wait for it, up to
  // twice the verification period.
  const waitedMs = deps.clock.now().getTime() - attempt.deployedAt.getTime();
  if (!byNewVersion && compareVersions(deps.settings.runningVersion, attempt.toVersion) === 0 && waitedMs < 2 * deps.settings.verifyMinutes * 60_000) {
    await deps.queue.send({ kind: "verify", attemptId }, Math.max(1, (deps.settings.verifyMinutes * 60) / 4));
    return attempt;
  }
  const why = !after ? "no heartbeat ran after the deployment"
    : !byNewVersion ? `the heartbeat after the deployment was run by ${after.version ?? "an unknown version"}, not ${attempt.toVersion} (the new version did not start)`
    : `the heartbeat of ${attempt.toVersion} failed at ${after.checkedAt}`;
  if (!attempt.previousPackageUrl) {
    return record(deps, { ...attempt, state: "Failed", reason: `${why}, and the package of ${attempt.fromVersion} is not in the feed: roll back by hand (azd deploy)` });
  }
  const previous = usableReleases(await deps.feed.releases(), deps.settings.feedUrl).find((r) => compareVersions(r.version, attempt.fromVersion) === 0);
  if (!previous) return record(deps, { ...attempt, state: "Failed", reason: `${why}; rolling back is not possible: ${attempt.fromVersion} left the feed` });
  const checked = await verifiedPackage(deps, previous);
  if (!checked.ok && checked.transient) return retryRollback(deps, attempt, `${why}; rolling back waits: ${checked.reason}`);
  if (!checked.ok) return record(deps, { ...attempt, state: "Failed", reason: `${why}; rolling back is not possible: ${checked.reason}` });
  try {
    await deps.deployer.deploy(await deps.staging.stage(stagedName(previous.version, checked.sha256), checked.bytes));
  } catch (error) {
    // Throttling or an outage: try again shortly. Anything else will not heal by itself: say so.
    if (!isArmRequestError(error) || classifyFailure(error.failure) !== "permanent") return retryRollback(deps, attempt, `${why}; rolling back waits: ${(error as Error).message}`);
    return record(deps, { ...attempt, state: "Failed", reason: `${why}, and rolling back to ${attempt.fromVersion} failed: ${(error as Error).message}; roll back by hand (azd deploy)` });
  }
  return record(deps, { ...attempt, state: "RolledBack", reason: `${why}: rolled back to ${attempt.fromVersion}` });
}

async function retryRollback(deps: AutoUpdateDeps, attempt: UpdateAttempt, reason: string): Promise<UpdateAttempt> {
  await deps.queue.send({ kind: "verify", attemptId: attempt.attemptId }, ROLLBACK_RETRY_MINUTES * 60);
  deps.telemetry.event("AutoUpdate", { attemptId: attempt.attemptId, state: attempt.state, fromVersion: attempt.fromVersion, toVersion: attempt.toVersion, reason });
  return attempt;
}

type Verified = { ok: true; sha256: string; bytes: Buffer } | { ok: false; transient: boolean; reason: string };

/**
 * Downloads the package once, with its published checksum and signature; only bytes whose signature verifies against
 * the pinned key (and whose SHA-256 matches) are returned, and only those bytes are ever staged and deployed.
 */
async function verifiedPackage(deps: AutoUpdateDeps, release: Release): Promise<Verified> {
  const key = deps.settings.signingKey;
  if (!key) return { ok: false, transient: false, reason: `AUTO_UPDATE_SIGNING_KEY is not set, so no package of ${release.version} can be verified: refused, nothing deployed` };
  let checksumText: string;
  let signatureText: string;
  let bytes: Buffer;
  try {
    checksumText = (await deps.feed.download(release.checksumUrl)).toString("utf8");
    signatureText = (await deps.feed.download(release.signatureUrl)).toString("utf8");
    bytes = await deps.feed.download(release.packageUrl);
  } catch (error) {
    return { ok: false, transient: true, reason: `downloading ${release.version} failed: ${(error as Error).message}` };
  }
  const expected = parseChecksum(checksumText);
  if (!expected) return { ok: false, transient: false, reason: `the checksum file of ${release.version} holds no SHA-256: refused, nothing deployed` };
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (expected !== actual) return { ok: false, transient: false, reason: `the package of ${release.version} does not match its published SHA-256 (expected ${expected}, got ${actual}): refused, nothing deployed` };
  const signature = parseSignature(signatureText);
  if (!signature) return { ok: false, transient: false, reason: `the signature file of ${release.version} holds no Ed25519 signature: refused, nothing deployed` };
  if (!signatureValid(bytes, signature, key)) return { ok: false, transient: false, reason: `the package of ${release.version} is not signed by the key pinned in AUTO_UPDATE_SIGNING_KEY: refused, nothing deployed` };
  return { ok: true, sha256: actual, bytes };
}

/** The staged blob's name: the version and the bytes' hash, so a name always means the same bytes. */
function stagedName(version: string, sha256: string): string {
  return packageName(version).replace(/\.zip$/, `-${sha256.slice(0, 16)}.zip`);
}

async function record(deps: AutoUpdateDeps, attempt: UpdateAttempt): Promise<UpdateAttempt> {
  await deps.store.save(attempt);
  deps.telemetry.event("AutoUpdate", { attemptId: attempt.attemptId, state: attempt.state, fromVersion: attempt.fromVersion, toVersion: attempt.toVersion, reason: attempt.reason });
  return attempt;
}
