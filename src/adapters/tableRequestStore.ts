/**
 * Where every row of a run is written: Azure Table storage, in v2's tables. Every update is conditional on
 * the row's etag.
 *
 * Layout: the request row is partition `<requestId>`; VM rows live in partitions `<requestId>|<subscription>|<shard>`,
 * 16 shards per subscription chosen by a hash of the row key. A subscription's rows are one partition range
 * (what a sweep reads), the whole run is another (what the status reads), and no partition holds more than
 * a sixteenth of a subscription: a single partition serves about 2,000 entities/s, and a 10,000-VM run
 * writes faster than that at its start. Updates of many rows go out as transactions per partition.
 */
import { storageAnswered, unlessMissing } from "./storageClients";
import { createHash } from "node:crypto";
import { odata, type TableClient, type TableEntity, type TransactionAction } from "@azure/data-tables";
import { parseVmId } from "../domain/resourceId";
import type { RequestStore, RowWrite, VmRowFilter } from "../engine/ports";
import type { ResolvedRead } from "../engine/ports";
import type { VmRunStatus } from "../domain/runState";
import type { RequestRecord, SequenceState, SweepRecord, VmRecord } from "../engine/records";
import { mapWithConcurrency } from "../engine/concurrency";

export const TABLE_NAMES = {
  requests: "requeststoretable",
  subscriptions: "subscriptionrequeststoretable",
} as const;

const REQUEST_ROW = "request";
const OPEN_STATUSES: VmRunStatus[] = ["Held", "Pending", "Acting", "Waiting"];
const IDEMPOTENCY_PARTITION = "idempotency";
const OPEN_REQUESTS_PARTITION = "open-requests";
/** Table string properties hold 64 KiB (32K UTF-16 chars): long JSON is split across numbered properties. */
const CHUNK = 30_000;
/** Azure's limit of operations per transaction. */
const BATCH = 100;
const SHARDS_PER_SUBSCRIPTION = 16;

type Entity = TableEntity<Record<string, unknown>>;

export class TableRequestStore implements RequestStore {
  private ready?: Promise<unknown>;

  constructor(private readonly requests: TableClient, private readonly subscriptions: TableClient) {}

  /** Tables are created on first use, so a fresh storage account works without a deployment step. */
  private async tables(): Promise<void> {
    this.ready ??= Promise.all([this.requests.createTable(), this.subscriptions.createTable()]).catch((error) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
  }

  async createRequest(record: RequestRecord): Promise<boolean> {
    await this.tables();
    return ignoreConflict(() => this.requests.createEntity(requestToEntity(record)));
  }

  async getRequest(requestId: string): Promise<RequestRecord | undefined> {
    await this.tables();
    const entity = await unlessMissing(() => this.requests.getEntity<Record<string, unknown>>(requestId, REQUEST_ROW));
    return entity && requestFromEntity(entity);
  }

  async updateRequest(record: RequestRecord, changes: Partial<RequestRecord>): Promise<RequestRecord | undefined> {
    const next = { ...record, ...changes };
    const etag = await replaceIfUnchanged(this.requests, requestToEntity(next), record.etag);
    return etag ? { ...next, etag } : undefined;
  }

  async insertVmRows(rows: VmRecord[]): Promise<void> {
    await this.tables();
    await mapWithConcurrency(transactionBatches(rows, (row) => row), 8, async (batch) => {
      const actions: TransactionAction[] = batch.map((row) => ["create", vmToEntity(row)]);
      try {
        await this.requests.submitTransaction(actions);
      } catch (error) {
        if (!storageAnswered(error, 409)) throw error;
        // Some rows exist from an earlier delivery: insert the rest one by one, leaving those untouched.
        await mapWithConcurrency(batch, 8, (row) => ignoreConflict(() => this.requests.createEntity(vmToEntity(row))));
      }
    });
  }

  async listVmRows(requestId: string, filter?: VmRowFilter): Promise<VmRecord[]> {
    await this.tables();
    const open = filter?.openOnly ? ` and (${OPEN_STATUSES.map((s) => odata`status eq ${s}`).join(" or ")})` : "";
    const group = filter?.group !== undefined ? odata` and group eq ${filter.group}` : "";
    const status = filter?.status ? odata` and status eq ${filter.status}` : "";
    const rows: VmRecord[] = [];
    const entities = this.requests.listEntities<Record<string, unknown>>({
      queryOptions: { filter: vmPartitionsFilter(requestId, filter?.subscriptionId) + open + group + status },
    });
    for await (const entity of entities) rows.push(vmFromEntity(entity));
    return rows;
  }

  async listVmStatuses(requestId: string): Promise<VmRunStatus[]> {
    await this.tables();
    const statuses: VmRunStatus[] = [];
    const entities = this.requests.listEntities<{ status: VmRunStatus }>({
      queryOptions: { filter: vmPartitionsFilter(requestId), select: ["status"] },
    });
    for await (const entity of entities) statuses.push(entity.status);
    return statuses;
  }

  async getVmRow(requestId: string, key: string): Promise<VmRecord | undefined> {
    await this.tables();
    const rowKey = vmRowKey(key);
    if (!rowKey) return undefined;
    const entity = await unlessMissing(() => this.requests.getEntity<Record<string, unknown>>(vmPartitionKey(requestId, rowKey), rowKey));
    return entity && vmFromEntity(entity);
  }

  async updateVmRow(row: VmRecord, changes: Partial<VmRecord>): Promise<VmRecord | undefined> {
    const next = { ...row, ...changes };
    const etag = await replaceIfUnchanged(this.requests, vmToEntity(next), row.etag);
    return etag ? { ...next, etag } : undefined;
  }

  async updateVmRows(updates: RowWrite[]): Promise<(VmRecord | undefined)[]> {
    const results = new Map<RowWrite, VmRecord | undefined>();
    // A transaction may touch an entity once: a second update of the same row goes alone, after the batch.
    const seen = new Set<string>();
    const firsts: RowWrite[] = [];
    const repeats: RowWrite[] = [];
    for (const update of updates) {
      (seen.has(update.row.key) ? repeats : firsts).push(update);
      seen.add(update.row.key);
    }
    await mapWithConcurrency(transactionBatches(firsts, (u) => u.row), 8, async (batch) => {
      const next = batch.map(({ row, changes }) => ({ ...row, ...changes }));
      try {
        const response = await this.requests.submitTransaction(
          next.map((row, i): TransactionAction => ["update", vmToEntity(row), "Replace", { etag: requireEtag(batch[i]!.row.etag, row.key) }]),
        );
        next.forEach((row, i) => results.set(batch[i]!, { ...row, etag: response.subResponses[i]?.etag }));
      } catch (error) {
        if (!storageAnswered(error, 412, 404)) throw error;
        // A transaction is all or nothing: one row moved on meanwhile, so write this batch row by row.
        await mapWithConcurrency(batch, 8, async (update) => results.set(update, await this.updateVmRow(update.row, update.changes)));
      }
    });
    for (const update of repeats) results.set(update, await this.updateVmRow(update.row, update.changes));
    return updates.map((u) => results.get(u));
  }

  async claimIdempotencyKey(identity: string, requestId: string): Promise<string> {
    await this.tables();
    const rowKey = createHash("sha256").update(identity).digest("hex");
    const created = await ignoreConflict(() => this.requests.createEntity({ partitionKey: IDEMPOTENCY_PARTITION, rowKey, requestId }));
    if (created) return requestId;
    const existing = await this.requests.getEntity<{ requestId: string }>(IDEMPOTENCY_PARTITION, rowKey);
    return existing.requestId;
  }

  async loadExpansionReads(requestId: string): Promise<Map<string, ResolvedRead>> {
    await this.tables();
    const out = new Map<string, ResolvedRead>();
    const entities = this.requests.listEntities<{ key: string; read: string }>({ queryOptions: { filter: odata`PartitionKey eq ${expansionPartition(requestId)}` } });
    for await (const e of entities) out.set(e.key, JSON.parse(e.read) as ResolvedRead);
    return out;
  }

  async saveExpansionReads(requestId: string, reads: Map<string, ResolvedRead>): Promise<void> {
    await this.tables();
    const entities = [...reads].map(([key, read]) => ({ partitionKey: expansionPartition(requestId), rowKey: vmRowKey(key)!, key, read: JSON.stringify(read) }));
    const batches: (typeof entities)[] = [];
    for (let i = 0; i < entities.length; i += BATCH) batches.push(entities.slice(i, i + BATCH));
    await mapWithConcurrency(batches, 8, (batch) => this.requests.submitTransaction(batch.map((e): TransactionAction => ["upsert", e, "Replace"])));
  }

  async indexOpenRequest(requestId: string, deadline: Date): Promise<void> {
    await this.tables();
    await this.requests.upsertEntity({ partitionKey: OPEN_REQUESTS_PARTITION, rowKey: requestId, deadline }, "Replace");
  }

  async listOpenRequests(): Promise<{ requestId: string; deadline: Date; indexedAt: Date }[]> {
    await this.tables();
    const out: { requestId: string; deadline: Date; indexedAt: Date }[] = [];
    const entities = this.requests.listEntities<{ deadline: Date; timestamp?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${OPEN_REQUESTS_PARTITION}` } });
    for await (const e of entities) out.push({ requestId: e.rowKey!, deadline: new Date(e.deadline), indexedAt: new Date(e.timestamp ?? 0) });
    return out;
  }

  async removeOpenRequest(requestId: string): Promise<void> {
    await this.tables();
    try {
      await this.requests.deleteEntity(OPEN_REQUESTS_PARTITION, requestId);
    } catch (error) {
      if (!storageAnswered(error, 404)) throw error;
    }
  }

  async insertSweeps(rows: SweepRecord[]): Promise<void> {
    await this.tables();
    await mapWithConcurrency(rows, 8, (row) => ignoreConflict(() => this.subscriptions.createEntity(sweepToEntity(row))));
  }

  async getSweep(requestId: string, subscriptionId: string): Promise<SweepRecord | undefined> {
    await this.tables();
    const entity = await unlessMissing(() => this.subscriptions.getEntity<Record<string, unknown>>(requestId, subscriptionId.toLowerCase()));
    return entity && sweepFromEntity(entity);
  }

  async listSweeps(requestId: string): Promise<SweepRecord[]> {
    await this.tables();
    const rows: SweepRecord[] = [];
    for await (const e of this.subscriptions.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${requestId}` } })) {
      rows.push(sweepFromEntity(e));
    }
    return rows;
  }

  async updateSweep(row: SweepRecord, changes: Partial<SweepRecord>): Promise<SweepRecord | undefined> {
    const next = { ...row, ...changes };
    const etag = await replaceIfUnchanged(this.subscriptions, sweepToEntity(next), row.etag);
    return etag ? { ...next, etag } : undefined;
  }
}

/** "vm|<subscription>|<resource group>|<name>": no '/' (forbidden in row keys) and sorted like the ids. */
export function vmRowKey(key: string): string | undefined {
  const ref = parseVmId(key);
  return ref && `vm|${ref.subscriptionId}|${ref.resourceGroup}|${ref.name}`.toLowerCase();
}

/** `<requestId>|<subscription>|<shard>`, derived from the row key alone (FNV-1a), so any reader can find a row. */
export function vmPartitionKey(requestId: string, rowKey: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < rowKey.length; i++) hash = Math.imul(hash ^ rowKey.charCodeAt(i), 0x01000193);
  const subscriptionId = rowKey.split("|")[1];
  return `${requestId}|${subscriptionId}|${((hash >>> 0) % SHARDS_PER_SUBSCRIPTION).toString(16)}`;
}

/** Kept outside the run's partition range (`<requestId>|…`), which holds VM rows only. */
function expansionPartition(requestId: string): string {
  return `expansion|${requestId}`;
}

/** The partition range of a run's VM rows, or of one subscription's. */
function vmPartitionsFilter(requestId: string, subscriptionId?: string): string {
  const prefix = subscriptionId ? `${requestId}|${subscriptionId.toLowerCase()}|` : `${requestId}|`;
  const upper = prefix.slice(0, -1) + "}";
  return odata`PartitionKey ge ${prefix} and PartitionKey lt ${upper}`;
}

/** Items grouped by their row's partition, in slices a transaction can take. */
function transactionBatches<T>(items: T[], rowOf: (item: T) => VmRecord): T[][] {
  const byPartition = new Map<string, T[]>();
  for (const item of items) {
    const row = rowOf(item);
    const partition = vmPartitionKey(row.requestId, vmRowKey(row.key)!);
    const members = byPartition.get(partition);
    if (members) members.push(item);
    else byPartition.set(partition, [item]);
  }
  const batches: T[][] = [];
  for (const members of byPartition.values()) {
    for (let i = 0; i < members.length; i += BATCH) batches.push(members.slice(i, i + BATCH));
  }
  return batches;
}

/**
 * Every update is conditional: a record without an etag was never read from the table, and writing it anyway would
 * silently overwrite whatever is there ("*"). That is a bug in the caller, so say so.
 */
function requireEtag(etag: string | undefined, what: string): string {
  if (!etag) throw new Error(`refusing an unconditional write of ${what}: the record has no etag (it was not read from the table)`);
  return etag;
}

async function replaceIfUnchanged(table: TableClient, entity: Entity, etag: string | undefined): Promise<string | undefined> {
  try {
    const result = await table.updateEntity(entity, "Replace", { etag: requireEtag(etag, `${entity.partitionKey}/${entity.rowKey}`) });
    return result.etag;
  } catch (error) {
    if (storageAnswered(error, 412, 404)) return undefined;
    throw error;
  }
}

async function ignoreConflict(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (error) {
    if (storageAnswered(error, 409)) return false;
    throw error;
  }
}

function putChunks(entity: Entity, name: string, text: string): void {
  for (let i = 0, n = 0; i < text.length || n === 0; i += CHUNK, n++) entity[`${name}${n}`] = text.slice(i, i + CHUNK);
}

function readChunks(entity: Record<string, unknown>, name: string): string {
  let text = "";
  for (let n = 0; typeof entity[`${name}${n}`] === "string"; n++) text += entity[`${name}${n}`] as string;
  return text;
}

const date = (value: unknown): Date | undefined => (value === undefined || value === null ? undefined : new Date(value as string));
const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function requestToEntity(r: RequestRecord): Entity {
  const entity: Entity = {
    partitionKey: r.requestId, rowKey: REQUEST_ROW, action: r.action, stage: r.stage, state: r.state,
    createdAt: r.createdAt, deadline: r.deadline, completedAt: r.completedAt, vmCount: r.vmCount, message: r.message,
    orchestrationLeaseUntil: r.orchestrationLeaseUntil,
  };
  putChunks(entity, "request", JSON.stringify(r.request));
  putChunks(entity, "scopeErrors", JSON.stringify(r.scopeErrors));
  if (r.sequence) putChunks(entity, "sequence", JSON.stringify(r.sequence));
  return entity;
}

function requestFromEntity(e: Record<string, unknown> & { etag?: string }): RequestRecord {
  return {
    requestId: e.partitionKey as string,
    action: e.action as RequestRecord["action"],
    request: JSON.parse(readChunks(e, "request")),
    stage: e.stage as RequestRecord["stage"],
    state: e.state as RequestRecord["state"],
    createdAt: date(e.createdAt)!,
    deadline: date(e.deadline)!,
    completedAt: date(e.completedAt),
    vmCount: Number(e.vmCount ?? 0),
    scopeErrors: JSON.parse(readChunks(e, "scopeErrors") || "[]"),
    sequence: readSequence(readChunks(e, "sequence")),
    message: str(e.message),
    orchestrationLeaseUntil: date(e.orchestrationLeaseUntil),
    etag: e.etag,
  };
}

function readSequence(text: string): SequenceState | undefined {
  if (!text) return undefined;
  const sequence = JSON.parse(text) as SequenceState;
  sequence.groups = sequence.groups.map((g) => ({ ...g, releasedAt: date(g.releasedAt) }));
  return sequence;
}

function vmToEntity(v: VmRecord): Entity {
  const rowKey = vmRowKey(v.key)!;
  return {
    partitionKey: vmPartitionKey(v.requestId, rowKey), rowKey, key: v.key, id: v.id, subscriptionId: v.subscriptionId,
    resourceGroup: v.resourceGroup, name: v.name, location: v.location, osType: v.osType, priority: v.priority,
    status: v.status, group: v.group, attempt: v.attempt, dueAt: v.dueAt, actedAt: v.actedAt, finishedAt: v.finishedAt,
    powerState: v.powerState, errorCode: v.errorCode, errorMessage: v.errorMessage?.slice(0, 8000), note: v.note?.slice(0, 2000), heldBy: v.heldBy,
    kind: v.kind, scaleSetId: v.scaleSetId, powerAction: v.powerAction, fallbackCode: v.fallbackCode,
    fallbackMessage: v.fallbackMessage?.slice(0, 4000), hibernated: v.hibernated,
  };
}

function vmFromEntity(e: Record<string, unknown> & { etag?: string }): VmRecord {
  return {
    requestId: (e.partitionKey as string).split("|")[0]!, key: e.key as string, id: e.id as string, subscriptionId: e.subscriptionId as string,
    resourceGroup: e.resourceGroup as string, name: e.name as string, location: (e.location as string) ?? "",
    osType: str(e.osType), priority: str(e.priority), status: e.status as VmRecord["status"],
    group: typeof e.group === "number" ? e.group : undefined, attempt: Number(e.attempt ?? 0),
    dueAt: date(e.dueAt), actedAt: date(e.actedAt), finishedAt: date(e.finishedAt), powerState: str(e.powerState) as VmRecord["powerState"],
    errorCode: str(e.errorCode), errorMessage: str(e.errorMessage), note: str(e.note),
    heldBy: str(e.heldBy) as VmRecord["heldBy"], etag: e.etag,
    kind: str(e.kind) as VmRecord["kind"], scaleSetId: str(e.scaleSetId), powerAction: str(e.powerAction) as VmRecord["powerAction"],
    fallbackCode: str(e.fallbackCode), fallbackMessage: str(e.fallbackMessage), hibernated: e.hibernated === true ? true : undefined,
  };
}

function sweepToEntity(s: SweepRecord): Entity {
  return { partitionKey: s.requestId, rowKey: s.subscriptionId.toLowerCase(), sweepSeq: s.sweepSeq, done: s.done };
}

function sweepFromEntity(e: Record<string, unknown> & { etag?: string }): SweepRecord {
  return {
    requestId: e.partitionKey as string, subscriptionId: e.rowKey as string, sweepSeq: Number(e.sweepSeq), done: e.done === true,
    updatedAt: typeof e.timestamp === "string" ? new Date(e.timestamp) : undefined, etag: e.etag,
  };
}
