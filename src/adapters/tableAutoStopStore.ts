/**
 * Where AutoStop is kept: `autostopconfigstoretable` (one row per configuration) and `autostoprequeststoretable` (one
 * partition per sync run: the run row plus one row per VM outcome, written in transactions of up to 100).
 */
import { type TableClient, type TransactionAction } from "@azure/data-tables";
import type { AlertOutcome, AutoStopConfiguration, AutoStopRun, AutoStopStore } from "../autostop/autoStopStore";
import { createdOnFirstUse, entityOrUndefined, storageAnswered, tableDate } from "./storageClients";

export const AUTOSTOP_TABLES = { configurations: "autostopconfigstoretable", runs: "autostoprequeststoretable" } as const;
const CONFIGURATION_PARTITION = "configuration";
const RUN_ROW = "run";
const BATCH = 100;

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string; etag?: string };

export class TableAutoStopStore implements AutoStopStore {
  private readonly configurationsReady: () => Promise<void>;
  private readonly runsReady: () => Promise<void>;

  constructor(private readonly configurations: TableClient, private readonly runs: TableClient) {
    this.configurationsReady = createdOnFirstUse(configurations);
    this.runsReady = createdOnFirstUse(runs);
  }

  async getConfiguration(name: string): Promise<AutoStopConfiguration | undefined> {
    await this.configurationsReady();
    const entity = (await entityOrUndefined<Entity>(this.configurations, CONFIGURATION_PARTITION, name)) as Entity | undefined;
    return entity && configurationFrom(entity);
  }

  async listConfigurations(): Promise<AutoStopConfiguration[]> {
    await this.configurationsReady();
    const out: AutoStopConfiguration[] = [];
    const query = this.configurations.listEntities<Entity>({ queryOptions: { filter: `PartitionKey eq '${CONFIGURATION_PARTITION}'` } });
    for await (const entity of query) out.push(configurationFrom(entity));
    return out;
  }

  async saveConfiguration(c: AutoStopConfiguration): Promise<boolean> {
    await this.configurationsReady();
    const entity = {
      partitionKey: CONFIGURATION_PARTITION, rowKey: c.name, enabled: c.enabled, scopes: JSON.stringify(c.scopes),
      condition: JSON.stringify(c.condition), alertResourceGroups: JSON.stringify(c.alertResourceGroups), updatedAt: c.updatedAt,
    };
    try {
      if (c.etag) await this.configurations.updateEntity(entity, "Replace", { etag: c.etag });
      else await this.configurations.createEntity(entity);
      return true;
    } catch (error) {
      if (storageAnswered(error, 409, 412)) return false;
      throw error;
    }
  }

  async createRun(run: AutoStopRun): Promise<boolean> {
    await this.runsReady();
    try {
      await this.runs.createEntity(runTo(run));
      return true;
    } catch (error) {
      if (storageAnswered(error, 409)) return false;
      throw error;
    }
  }

  async getRun(runId: string): Promise<AutoStopRun | undefined> {
    await this.runsReady();
    const entity = (await entityOrUndefined<Entity>(this.runs, runId, RUN_ROW)) as Entity | undefined;
    return entity && runFrom(entity);
  }

  async updateRun(run: AutoStopRun, changes: Partial<AutoStopRun>): Promise<boolean> {
    await this.runsReady();
    try {
      await this.runs.updateEntity(runTo({ ...run, ...changes }), "Replace", { etag: run.etag ?? "*" });
      return true;
    } catch (error) {
      if (storageAnswered(error, 412)) return false;
      throw error;
    }
  }

  async writeOutcomes(runId: string, outcomes: AlertOutcome[]): Promise<void> {
    await this.runsReady();
    for (let i = 0; i < outcomes.length; i += BATCH) {
      const actions: TransactionAction[] = outcomes.slice(i, i + BATCH).map((o) => ["upsert", outcomeTo(runId, o), "Replace"]);
      await this.runs.submitTransaction(actions);
    }
  }

  async listOutcomes(runId: string): Promise<AlertOutcome[]> {
    await this.runsReady();
    const out: AlertOutcome[] = [];
    const query = this.runs.listEntities<Entity>({ queryOptions: { filter: `PartitionKey eq '${runId.replace(/'/g, "''")}' and RowKey gt 'vm|' and RowKey lt 'vm}'` } });
    for await (const entity of query) out.push(outcomeFrom(entity));
    return out;
  }
}

function configurationFrom(e: Entity): AutoStopConfiguration {
  return {
    name: e.rowKey, enabled: e.enabled === true, scopes: JSON.parse(String(e.scopes)), condition: JSON.parse(String(e.condition)),
    alertResourceGroups: JSON.parse(String(e.alertResourceGroups ?? "[]")), updatedAt: tableDate(e.updatedAt), etag: e.etag,
  };
}

function runTo(run: AutoStopRun): Entity {
  return {
    partitionKey: run.runId, rowKey: RUN_ROW, configuration: JSON.stringify(run.configuration), trigger: run.trigger, state: run.state,
    createdAt: run.createdAt, deadline: run.deadline, completedAt: run.completedAt, counts: run.counts && JSON.stringify(run.counts), message: run.message,
  };
}

function runFrom(e: Entity): AutoStopRun {
  const configuration = JSON.parse(String(e.configuration)) as AutoStopConfiguration;
  configuration.updatedAt = new Date(configuration.updatedAt);
  return {
    runId: e.partitionKey, configuration, trigger: e.trigger === "timer" ? "timer" : "request", state: e.state as AutoStopRun["state"],
    createdAt: tableDate(e.createdAt), deadline: tableDate(e.deadline), completedAt: tableDate(e.completedAt, "optional"),
    counts: e.counts ? JSON.parse(String(e.counts)) : undefined, message: e.message as string | undefined, etag: e.etag,
  };
}

function outcomeTo(runId: string, o: AlertOutcome): Entity {
  return {
    partitionKey: runId, rowKey: `vm|${encodeURIComponent(o.vmId.toLowerCase())}`, vmId: o.vmId, alertName: o.alertName, outcome: o.outcome,
    detail: o.detail.slice(0, 4000), errorCode: o.errorCode, attempts: o.attempts, at: o.at,
  };
}

function outcomeFrom(e: Entity): AlertOutcome {
  return {
    vmId: String(e.vmId), alertName: e.alertName as string | undefined, outcome: e.outcome as AlertOutcome["outcome"], detail: String(e.detail ?? ""),
    errorCode: e.errorCode as string | undefined, attempts: Number(e.attempts ?? 0), at: tableDate(e.at),
  };
}

/** Table storage returns a DateTime property as a Date or an ISO string depending on how it was read. */
