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
    await this.table.upsertEntity({
      partitionKey: a.toVersion, rowKey: a.attemptId, at: a.at, fromVersion: a.fromVersion, toVersion: a.toVersion, state: a.state,
      reason: a.reason.slice(0, 4000), packageUrl: a.packageUrl, sha256: a.sha256, stagedUrl: a.stagedUrl, deployedAt: a.deployedAt, previousPackageUrl: a.previousPackageUrl,
    }, "Replace");
  }

  async get(attemptId: string): Promise<UpdateAttempt | undefined> {
    await this.created();
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${attemptId}` } })) return fromEntity(e);
    return undefined;
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

function fromEntity(e: Record<string, unknown>): UpdateAttempt {
  const date = (v: unknown) => tableDate(v, "optional");
  return {
    attemptId: String(e.rowKey), at: date(e.at)!, fromVersion: String(e.fromVersion), toVersion: String(e.toVersion), state: e.state as UpdateAttempt["state"],
    reason: String(e.reason ?? ""), packageUrl: String(e.packageUrl ?? ""), sha256: e.sha256 as string | undefined, stagedUrl: e.stagedUrl as string | undefined, deployedAt: date(e.deployedAt),
    previousPackageUrl: e.previousPackageUrl as string | undefined,
  };
}
