/**
 * The request store's in-memory twin, behind the same port (as AWS Instance Scheduler keeps in-memory stores beside
 * its DynamoDB ones): every update is etag-checked like Table storage's, and a test can make the next writes fail, so
 * races and storage faults can be replayed deterministically without Azurite.
 */
import type { RequestStore, RowWrite, VmRowFilter } from "../../src/engine/ports";
import type { ResolvedRead } from "../../src/engine/ports";
import type { RequestRecord, SweepRecord, VmRecord } from "../../src/engine/records";
import { isTerminal, type VmRunStatus } from "../../src/domain/runState";

export class MemoryRequestStore implements RequestStore {
  private readonly requests = new Map<string, RequestRecord>();
  private readonly rows = new Map<string, VmRecord>();
  private readonly sweeps = new Map<string, SweepRecord>();
  private readonly keys = new Map<string, string>();
  private readonly open = new Map<string, { deadline: Date; indexedAt: Date }>();
  private etagCounter = 0;
  /** Writes still to fail (a storage outage, seen from the app): each failing write throws and changes nothing. */
  failNextWrites = 0;
  /** Batches of row updates to let through before the next one fails (undefined: none fails). */
  failBatchAfter?: number;
  /** Every VM-row write that landed, in order (for assertions). */
  readonly writes: { key: string; changes: Partial<VmRecord> }[] = [];
  /** How many rows listings returned: what a listing would cost in Table storage reads. */
  rowsListed = 0;

  private etag(): string {
    return `W/"${++this.etagCounter}"`;
  }

  private maybeFail(): void {
    if (this.failNextWrites > 0) {
      this.failNextWrites--;
      throw new Error("injected storage failure (503 ServerBusy)");
    }
  }

  async createRequest(record: RequestRecord): Promise<boolean> {
    this.maybeFail();
    if (this.requests.has(record.requestId)) return false;
    this.requests.set(record.requestId, { ...record, etag: this.etag() });
    return true;
  }

  async getRequest(requestId: string): Promise<RequestRecord | undefined> {
    const r = this.requests.get(requestId);
    return r && structuredClone(r);
  }

  async updateRequest(record: RequestRecord, changes: Partial<RequestRecord>): Promise<RequestRecord | undefined> {
    this.maybeFail();
    const current = this.requests.get(record.requestId);
    if (!current || current.etag !== requireEtag(record.etag)) return undefined;
    const next = { ...current, ...changes, etag: this.etag() };
    this.requests.set(record.requestId, next);
    return structuredClone(next);
  }

  async insertVmRows(rows: VmRecord[]): Promise<void> {
    this.maybeFail();
    for (const row of rows) {
      const id = `${row.requestId}|${row.key}`;
      if (!this.rows.has(id)) this.rows.set(id, { ...row, etag: this.etag() });
    }
  }

  async listVmRows(requestId: string, filter?: VmRowFilter): Promise<VmRecord[]> {
    const listed = [...this.rows.values()]
      .filter((r) => r.requestId === requestId && (!filter?.subscriptionId || r.subscriptionId === filter.subscriptionId.toLowerCase()))
      .filter((r) => !filter?.openOnly || !isTerminal(r.status))
      .filter((r) => filter?.group === undefined || r.group === filter.group)
      .filter((r) => !filter?.status || r.status === filter.status)
      .map((r) => structuredClone(r));
    this.rowsListed += listed.length;
    return listed;
  }

  async listVmStatuses(requestId: string): Promise<VmRunStatus[]> {
    return (await this.listVmRows(requestId)).map((r) => r.status);
  }

  async getVmRow(requestId: string, key: string): Promise<VmRecord | undefined> {
    const r = this.rows.get(`${requestId}|${key}`);
    return r && structuredClone(r);
  }

  async updateVmRow(row: VmRecord, changes: Partial<VmRecord>): Promise<VmRecord | undefined> {
    this.maybeFail();
    const id = `${row.requestId}|${row.key}`;
    const current = this.rows.get(id);
    if (!current || current.etag !== requireEtag(row.etag)) return undefined;
    const next = { ...current, ...changes, etag: this.etag() };
    this.rows.set(id, next);
    this.writes.push({ key: row.key, changes });
    return structuredClone(next);
  }

  /** Runs once before the next batch of row updates is applied: a concurrent writer that gets there first. */
  beforeNextBatch?: () => Promise<void>;

  async updateVmRows(updates: RowWrite[]): Promise<(VmRecord | undefined)[]> {
    const hook = this.beforeNextBatch;
    this.beforeNextBatch = undefined;
    if (hook) await hook();
    // One batch is one storage request: it fails as a whole.
    this.maybeFail();
    if (this.failBatchAfter !== undefined && this.failBatchAfter-- === 0) {
      this.failBatchAfter = undefined;
      throw new Error("injected storage failure (batch lost)");
    }
    const out: (VmRecord | undefined)[] = [];
    for (const u of updates) out.push(await this.updateVmRow(u.row, u.changes));
    return out;
  }

  async claimIdempotencyKey(identity: string, requestId: string): Promise<string> {
    this.maybeFail();
    if (!this.keys.has(identity)) this.keys.set(identity, requestId);
    return this.keys.get(identity)!;
  }

  private readonly expansionReads = new Map<string, Map<string, ResolvedRead>>();

  async loadExpansionReads(requestId: string): Promise<Map<string, ResolvedRead>> {
    return new Map(this.expansionReads.get(requestId) ?? []);
  }

  async saveExpansionReads(requestId: string, reads: Map<string, ResolvedRead>): Promise<void> {
    this.maybeFail();
    const kept = this.expansionReads.get(requestId) ?? new Map<string, ResolvedRead>();
    for (const [key, read] of reads) kept.set(key, read);
    this.expansionReads.set(requestId, kept);
  }

  async indexOpenRequest(requestId: string, deadline: Date): Promise<void> {
    this.open.set(requestId, { deadline, indexedAt: new Date() });
  }

  async listOpenRequests(): Promise<{ requestId: string; deadline: Date; indexedAt: Date }[]> {
    return [...this.open].map(([requestId, v]) => ({ requestId, ...v }));
  }

  async removeOpenRequest(requestId: string): Promise<void> {
    this.open.delete(requestId);
  }

  async insertSweeps(rows: SweepRecord[]): Promise<void> {
    for (const s of rows) if (!this.sweeps.has(`${s.requestId}|${s.subscriptionId}`)) this.sweeps.set(`${s.requestId}|${s.subscriptionId}`, { ...s, etag: this.etag() });
  }

  async getSweep(requestId: string, subscriptionId: string): Promise<SweepRecord | undefined> {
    const s = this.sweeps.get(`${requestId}|${subscriptionId.toLowerCase()}`);
    return s && { ...s };
  }

  async listSweeps(requestId: string): Promise<SweepRecord[]> {
    return [...this.sweeps.values()].filter((s) => s.requestId === requestId).map((s) => ({ ...s }));
  }

  async updateSweep(row: SweepRecord, changes: Partial<SweepRecord>): Promise<SweepRecord | undefined> {
    const id = `${row.requestId}|${row.subscriptionId}`;
    const current = this.sweeps.get(id);
    if (!current || current.etag !== requireEtag(row.etag)) return undefined;
    const next = { ...current, ...changes, etag: this.etag() };
    this.sweeps.set(id, next);
    return { ...next };
  }
}

function requireEtag(etag: string | undefined): string {
  if (!etag) throw new Error("refusing an unconditional write: the record has no etag");
  return etag;
}
