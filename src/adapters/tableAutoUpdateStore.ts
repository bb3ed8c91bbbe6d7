/** Where self-update attempts are kept: v2's `autoupdaterequestdetailsstoretable`, partition = target version. */
import { odata, type TableClient } from "@azure/data-tables";
import type { AutoUpdateStore, UpdateAttempt } from "../autoUpdate/updateDeps";
import { createdOnFirstUse, storageAnswered, tableDate } from "./storageClients";

export const AUTO_UPDATE_TABLE = "autoupdaterequestdetailsstoretable";

export class TableAutoUpdateStore implements AutoUpdateStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async save(a: UpdateAttempt): Promise<void> {
    await this.created();
    await this.table.upsertEntity(toEntity(a), "Replace");
  }

  async get(attemptId: string): Promise<UpdateAttempt | undefined> {
    await this.created();
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${attemptId}` } })) return fromEntity(e);
    return undefined;
  }

  /** Never creates the table: the guardian, which calls it, may change rows but not create tables. */
  async replaceIfUnchanged(a: UpdateAttempt): Promise<UpdateAttempt | undefined> {
    if (!a.etag) throw new Error(`attempt ${a.attemptId} was not read from the table: no etag to change it against`);
    try {
      const { etag } = await this.table.updateEntity(toEntity(a), "Replace", { etag: a.etag });
      return { ...a, etag };
    } catch (error) {
      // 412: someone changed the row since it was read; 404: it is gone. Either way this change lost.
      if (storageAnswered(error, 412, 404)) return undefined;
      throw error;
    }
  }

  async inFlight(): Promise<UpdateAttempt[]> {
    const out: UpdateAttempt[] = [];
    try {
      for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`state eq ${"Deployed"} or state eq ${"RollingBack"}` } })) out.push(fromEntity(e));
    } catch (error) {
      if (!storageAnswered(error, 404)) throw error;
    }
    return out.sort((a, b) => (b.deployedAt?.getTime() ?? 0) - (a.deployedAt?.getTime() ?? 0));
  }

  async forVersion(version: string): Promise<UpdateAttempt[]> {
    await this.created();
    const out: UpdateAttempt[] = [];
    try {
      for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${version}` } })) out.push(fromEntity(e));
    } catch (error) {
      if (!storageAnswered(error, 404)) throw error;
    }
    return out.sort((a, b) => b.at.getTime() - a.at.getTime());
  }
}

function toEntity(a: UpdateAttempt) {
  return {
    partitionKey: a.toVersion, rowKey: a.attemptId, at: a.at, fromVersion: a.fromVersion, toVersion: a.toVersion, state: a.state,
    reason: a.reason.slice(0, 4000), packageUrl: a.packageUrl, sha256: a.sha256, stagedUrl: a.stagedUrl, deployedAt: a.deployedAt, previousPackageUrl: a.previousPackageUrl,
    previousStagedUrl: a.previousStagedUrl, previousSha256: a.previousSha256, rollbackBy: a.rollbackBy,
  };
}

function fromEntity(e: Record<string, unknown>): UpdateAttempt {
  const date = (v: unknown) => tableDate(v, "optional");
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    attemptId: String(e.rowKey), at: date(e.at)!, fromVersion: String(e.fromVersion), toVersion: String(e.toVersion), state: e.state as UpdateAttempt["state"],
    reason: String(e.reason ?? ""), packageUrl: String(e.packageUrl ?? ""), sha256: text(e.sha256), stagedUrl: text(e.stagedUrl), deployedAt: date(e.deployedAt),
    previousPackageUrl: text(e.previousPackageUrl), previousStagedUrl: text(e.previousStagedUrl), previousSha256: text(e.previousSha256),
    rollbackBy: e.rollbackBy === "app" || e.rollbackBy === "guardian" ? e.rollbackBy : undefined, etag: text(e.etag),
  };
}
