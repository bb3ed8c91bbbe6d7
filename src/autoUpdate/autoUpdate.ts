/**
 * Self-update, TriggerAutoUpdate's work. By default it only tells: a newer release shows in the heartbeat and as an
 * `AutoUpdate` event. With AUTO_UPDATE_MODE=apply it downloads the release's package once, refuses it unless its
 * Ed25519 signature verifies against the key pinned in the app settings (and its SHA-256 matches the published one),
 * stages exactly those bytes in the app's own deployment container, deploys them from there through ARM, and checks
 * the heartbeat after AUTO_UPDATE_VERIFY_MINUTES: only a passing heartbeat run by the new version keeps it; otherwise
 * the package that ran before is deployed again. That package is verified and staged the same way before the new one
 * is deployed, so a rollback (this check's, or the guardian's when the new version cannot start at all, src/guardian/)
 * deploys bytes already checked, without the feed or the signing key. A download or deployment that
 * failed for a passing reason is tried again at the next check, never recorded as a refusal. Every attempt is a row of
 * autoupdaterequestdetailsstoretable.
 */
import { createHash, randomUUID } from "node:crypto";
import { compareVersions } from "../domain/semver";
import { isArmRequestError } from "../domain/armError";
import { classifyFailure } from "../domain/retryPolicy";
import { assertNever } from "../targets/powerAction";
import { decideUpdate, packageName, parseChecksum, type Release } from "./release";
import { rollBack } from "./rollback";
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
  // The package to roll back to, verified and staged first: a rollback never depends on the feed or the key again.
  const fallback = previous ? await verifiedPackage(deps, previous) : undefined;
  if (fallback && !fallback.ok && fallback.transient) {
    await record(deps, { ...attempt, state: "Available", sha256: verified.sha256, reason: `${fallback.reason} (the package to roll back to); tried again at the next check` });
    return "retrying";
  }
  let stagedUrl: string;
  let previousStagedUrl: string | undefined;
  try {
    stagedUrl = await deps.staging.stage(stagedName(release.version, verified.sha256), verified.bytes);
    if (previous && fallback?.ok) previousStagedUrl = await deps.staging.stage(stagedName(previous.version, fallback.sha256), fallback.bytes);
  } catch (error) {
    await record(deps, { ...attempt, state: "Available", sha256: verified.sha256, reason: `staging ${release.version} in the deployment container failed: ${(error as Error).message}; tried again at the next check` });
    return "retrying";
  }
  const noFallback = !previous ? `; ${runningVersion} is not in the feed, so a failure cannot be rolled back automatically`
    : !previousStagedUrl ? `; ${runningVersion}'s package does not verify (${fallback && !fallback.ok ? fallback.reason : "unknown"}), so a failure cannot be rolled back automatically` : "";
  // Recorded, and its check queued, before the deployment: the platform restarts the app when the package lands.
  const deployed: UpdateAttempt = {
    ...attempt, state: "Deployed", sha256: verified.sha256, stagedUrl, deployedAt: deps.clock.now(),
    previousStagedUrl, previousSha256: previousStagedUrl && fallback?.ok ? fallback.sha256 : undefined,
    reason: `${release.version} deployed (signature verified, staged at ${stagedUrl}); the new version's heartbeat is checked after ${deps.settings.verifyMinutes} min${noFallback}`,
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
 * by another version (the new one did not start), or none at all rolls back. Every change of a deployed attempt is
 * etag-checked, so this check and the guardian never both act on it.
 */
export async function verifyUpdate(deps: AutoUpdateDeps, attemptId: string): Promise<UpdateAttempt | undefined> {
  const attempt = await deps.store.get(attemptId);
  if (attempt?.state === "RollingBack" && attempt.rollbackBy === "app") return rollBackFrom(deps, attempt, attempt.reason);
  if (!attempt || attempt.state !== "Deployed" || !attempt.deployedAt) return attempt;
  const beat = await deps.heartbeat.read();
  const after = beat && Date.parse(beat.checkedAt) > attempt.deployedAt.getTime() ? beat : undefined;
  const byNewVersion = after && after.version !== undefined && compareVersions(after.version, attempt.toVersion) === 0;
  if (after && byNewVersion && after.ok) {
    const kept = await deps.store.replaceIfUnchanged({ ...attempt, state: "Succeeded", reason: `${attempt.toVersion} runs and its heartbeat passed at ${after.checkedAt}` });
    if (!kept) return deps.store.get(attemptId);
    announce(deps, kept);
    return kept;
  }
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
  return rollBackFrom(deps, attempt, why);
}

async function rollBackFrom(deps: AutoUpdateDeps, attempt: UpdateAttempt, why: string): Promise<UpdateAttempt | undefined> {
  const outcome = await rollBack(deps, attempt, "app", why);
  switch (outcome.kind) {
    case "lost":
      return deps.store.get(attempt.attemptId);
    case "retry":
      await deps.queue.send({ kind: "verify", attemptId: attempt.attemptId }, ROLLBACK_RETRY_MINUTES * 60);
      deps.telemetry.event("AutoUpdate", { attemptId: attempt.attemptId, state: outcome.attempt.state, fromVersion: attempt.fromVersion, toVersion: attempt.toVersion, reason: outcome.reason });
      return outcome.attempt;
    case "rolledBack":
    case "failed":
      announce(deps, outcome.attempt);
      return outcome.attempt;
    default:
      return assertNever(outcome, "rollback outcome");
  }
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
  announce(deps, attempt);
  return attempt;
}

function announce(deps: AutoUpdateDeps, attempt: UpdateAttempt): void {
  deps.telemetry.event("AutoUpdate", { attemptId: attempt.attemptId, state: attempt.state, fromVersion: attempt.fromVersion, toVersion: attempt.toVersion, reason: attempt.reason });
}
