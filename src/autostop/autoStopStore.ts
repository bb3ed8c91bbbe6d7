/**
 * What AutoStop keeps: each configuration (the last body posted for it) and each sync run with one outcome per VM
 * (adapter: src/adapters/tableAutoStopStore.ts; in-memory twin: test/twins/memoryAutoStopStore.ts).
 */
import type { RequestScopes } from "../domain/scheduledRequest";
import type { AutoStopCondition } from "./autoStopRequest";

export interface AutoStopConfiguration {
  name: string;
  enabled: boolean;
  scopes: RequestScopes;
  condition: AutoStopCondition;
  /**
   * Every resource group ("<subscription>/<group>", lower case) this configuration ever put an alert in. Saved before
   * an alert is written there, so an alert can always be found again to be deleted, whatever the scope became.
   */
  alertResourceGroups: string[];
  updatedAt: Date;
  /** The row's etag as read; saving with it fails when someone else saved in between (read-modify-write is checked). */
  etag?: string;
}

export type AutoStopRunState = "Accepted" | "Running" | "Succeeded" | "PartiallySucceeded" | "Failed";

export interface AutoStopRun {
  runId: string;
  configuration: AutoStopConfiguration;
  trigger: "request" | "timer";
  state: AutoStopRunState;
  createdAt: Date;
  deadline: Date;
  completedAt?: Date;
  /** Outcomes by kind once the run ended ("Created": 3, ...). */
  counts?: Record<string, number>;
  message?: string;
  etag?: string;
}

export type AlertOutcomeKind = "Created" | "Updated" | "Unchanged" | "Deleted" | "Excluded" | "Failed";

export interface AlertOutcome {
  vmId: string;
  alertName?: string;
  outcome: AlertOutcomeKind;
  /** What changed, why it was deleted or excluded, or why it failed. */
  detail: string;
  errorCode?: string;
  attempts: number;
  at: Date;
}

export interface AutoStopStore {
  getConfiguration(name: string): Promise<AutoStopConfiguration | undefined>;
  listConfigurations(): Promise<AutoStopConfiguration[]>;
  /**
   * Etag-checked: replaces the row read (its `etag`), or creates it when there is no etag. False when someone else
   * saved it in between (or created it first); use updateConfiguration (src/autostop/configurationUpdate.ts) to retry.
   */
  saveConfiguration(configuration: AutoStopConfiguration): Promise<boolean>;
  /** False when a run with this id exists already. */
  createRun(run: AutoStopRun): Promise<boolean>;
  getRun(runId: string): Promise<AutoStopRun | undefined>;
  /** Etag-checked; false when someone else changed the run first. */
  updateRun(run: AutoStopRun, changes: Partial<AutoStopRun>): Promise<boolean>;
  /** One row per VM (the latest outcome replaces an earlier one of the same run). */
  writeOutcomes(runId: string, outcomes: AlertOutcome[]): Promise<void>;
  listOutcomes(runId: string): Promise<AlertOutcome[]>;
}
