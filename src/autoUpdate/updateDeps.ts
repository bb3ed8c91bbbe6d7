/** What self-update works with; built once per process in src/functions/shared/runtime.ts. */
import type { KeyObject } from "node:crypto";
import type { Clock, MessageQueue } from "../engine/ports";
import type { Telemetry } from "../telemetry/telemetry";

/** The `auto-update-request-queue` message (v2's queue): look for a release, or check an update that was deployed. */
export type AutoUpdateMessage = { kind: "check" } | { kind: "verify"; attemptId: string };

export type AutoUpdateMode = "off" | "notify" | "apply";

/**
 * `RollingBack`: the one actor that won the etag-checked change from `Deployed` (the app's own verification, or the
 * guardian, src/guardian/) is deploying the package that ran before; nobody else deploys for this attempt.
 */
export type AttemptState = "Available" | "Refused" | "Deployed" | "RollingBack" | "Succeeded" | "RolledBack" | "Failed";

/** Who rolls a failed update back: the new version's own check (verifyUpdate), or the guardian, from outside the app. */
export type RollbackActor = "app" | "guardian";

/** One row of `autoupdaterequestdetailsstoretable`. */
export interface UpdateAttempt {
  attemptId: string;
  at: Date;
  fromVersion: string;
  toVersion: string;
  state: AttemptState;
  reason: string;
  packageUrl: string;
  sha256?: string;
  /** Where the verified bytes were staged (the app's deployment container): what was deployed. */
  stagedUrl?: string;
  deployedAt?: Date;
  /** The feed's package of the version that ran before. */
  previousPackageUrl?: string;
  /**
   * That package, verified like the new one and staged in the deployment container before the new one was deployed:
   * what a rollback deploys (the app's or the guardian's), so rolling back needs neither the feed nor the signing key.
   */
  previousStagedUrl?: string;
  previousSha256?: string;
  /** Who is rolling back or rolled back (states RollingBack and RolledBack). */
  rollbackBy?: RollbackActor;
  /** The row's version as read (storage's ETag): a conditional change succeeds only if nobody changed it since. */
  etag?: string;
}

export interface ReleaseFeedReader {
  /** The feed's JSON (GitHub releases API shape). */
  releases(): Promise<unknown>;
  download(url: string): Promise<Buffer>;
}

/** Deploys a package to this function app the way Flex Consumption supports (one deploy, through ARM). */
export interface AppDeployer {
  deploy(packageUrl: string): Promise<void>;
}

/**
 * Puts bytes the app verified into the app's own deployment storage container and says where: the deployment is made
 * from there, so what the platform fetches is exactly what was verified, not a second download from the feed.
 */
export interface PackageStaging {
  stage(name: string, bytes: Buffer): Promise<string>;
}

export interface AutoUpdateStore {
  save(attempt: UpdateAttempt): Promise<void>;
  get(attemptId: string): Promise<UpdateAttempt | undefined>;
  /**
   * Writes the attempt only if its row is unchanged since it was read (`attempt.etag`): the new row (with its new
   * etag), or undefined when someone else changed it first.
   */
  replaceIfUnchanged(attempt: UpdateAttempt): Promise<UpdateAttempt | undefined>;
  /** Every attempt deployed and not yet settled (Deployed or RollingBack), newest deployment first. */
  inFlight(): Promise<UpdateAttempt[]>;
  /** Every attempt for this target version, newest first. */
  forVersion(version: string): Promise<UpdateAttempt[]>;
}

export interface LastHeartbeat {
  /** The last heartbeat, with the version that ran it. */
  read(): Promise<{ ok: boolean; checkedAt: string; version?: string } | undefined>;
}

export interface AutoUpdateDeps {
  feed: ReleaseFeedReader;
  deployer: AppDeployer;
  staging: PackageStaging;
  store: AutoUpdateStore;
  heartbeat: LastHeartbeat;
  queue: MessageQueue<AutoUpdateMessage>;
  clock: Clock;
  telemetry: Telemetry;
  settings: {
    mode: AutoUpdateMode; runningVersion: string; verifyMinutes: number;
    /** The feed's URL: assets must be https on its host. */
    feedUrl: string;
    /** AUTO_UPDATE_SIGNING_KEY: the pinned Ed25519 public key every package's signature must verify against. */
    signingKey?: KeyObject;
  };
}
