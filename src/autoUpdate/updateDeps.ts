/** What self-update works with; built once per process in src/functions/shared/runtime.ts. */
import type { Clock, MessageQueue } from "../engine/ports";
import type { Telemetry } from "../telemetry/telemetry";

/** The `auto-update-request-queue` message (v2's queue): look for a release, or check an update that was deployed. */
export type AutoUpdateMessage = { kind: "check" } | { kind: "verify"; attemptId: string };

export type AutoUpdateMode = "off" | "notify" | "apply";

export type AttemptState = "Available" | "Refused" | "Deployed" | "Succeeded" | "RolledBack" | "Failed";

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
  deployedAt?: Date;
  /** The package of the version that ran before, deployed again if the update fails its heartbeat. */
  previousPackageUrl?: string;
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

export interface AutoUpdateStore {
  save(attempt: UpdateAttempt): Promise<void>;
  get(attemptId: string): Promise<UpdateAttempt | undefined>;
  /** Every attempt for this target version, newest first. */
  forVersion(version: string): Promise<UpdateAttempt[]>;
}

export interface LastHeartbeat {
  read(): Promise<{ ok: boolean; checkedAt: string } | undefined>;
}

export interface AutoUpdateDeps {
  feed: ReleaseFeedReader;
  deployer: AppDeployer;
  store: AutoUpdateStore;
  heartbeat: LastHeartbeat;
  queue: MessageQueue<AutoUpdateMessage>;
  clock: Clock;
  telemetry: Telemetry;
  settings: { mode: AutoUpdateMode; runningVersion: string; verifyMinutes: number };
}
