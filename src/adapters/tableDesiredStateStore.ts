/**
 * Where each VM's desired state is kept: `desiredstatestoretable`, one partition per subscription, one row per VM
 * (the request store's VM row key). A claim reads the subscription's partition once and writes in transactions of up
 * to 100, each conditional (insert, or replace with the etag read): a concurrent claim makes the batch fail and its
 * entries are claimed again one by one, so the newest request always wins.
 */
import { createdOnFirstUse, entityOrUndefined, storageAnswered, tableDate } from "./storageClients";
import { odata, type TableClient, type TransactionAction } from "@azure/data-tables";
import type { ClaimResult, DesiredState, DesiredStateStore } from "../engine/ports";
import { mapWithConcurrency } from "../engine/concurrency";
import { vmRowKey } from "./tableRequestStore";

export const DESIRED_STATE_TABLE = "desiredstatestoretable";
const BATCH = 100;

interface Stored extends DesiredState {
  etag?: string;
}

export class TableDesiredStateStore implements DesiredStateStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async claim(entries: DesiredState[]): Promise<ClaimResult> {
    await this.created();
    const replaced: DesiredState[] = [];
    const keptByNewer: DesiredState[] = [];
    const bySubscription = new Map<string, DesiredState[]>();
    for (const e of entries) bySubscription.set(e.subscriptionId.toLowerCase(), [...(bySubscription.get(e.subscriptionId.toLowerCase()) ?? []), e]);
    for (const [subscriptionId, wanted] of bySubscription) {
      const existing = await this.partition(subscriptionId);
      const toWrite = wanted.filter((e) => {
        const held = existing.get(e.vmKey);
        const mine = !held || held.requestId === e.requestId || held.requestCreatedAt.getTime() <= e.requestCreatedAt.getTime();
        if (!mine) keptByNewer.push(withoutEtag(held));
        return mine;
      });
      for (let i = 0; i < toWrite.length; i += BATCH) {
        const batch = toWrite.slice(i, i + BATCH);
        const actions: TransactionAction[] = batch.map((e) => {
          const held = existing.get(e.vmKey);
          return held?.etag ? ["update", toEntity(e), "Replace", { etag: held.etag }] : ["create", toEntity(e)];
        });
        try {
          await this.table.submitTransaction(actions);
          for (const e of batch) {
            const held = existing.get(e.vmKey);
            if (held) replaced.push(withoutEtag(held));
          }
        } catch (error) {
          if (!storageAnswered(error, 409, 412)) throw error;
          // Somebody claimed some of these meanwhile: one by one, each against what is there now.
          const results = await mapWithConcurrency(batch, 8, (e) => this.claimOne(e));
          for (const r of results) {
            if (r.kind === "replaced") replaced.push(r.held);
            if (r.kind === "keptByNewer") keptByNewer.push(r.held);
          }
        }
      }
    }
    return { replaced, keptByNewer };
  }

  async get(vmKey: string): Promise<DesiredState | undefined> {
    await this.created();
    const rowKey = vmRowKey(vmKey);
    const entity = rowKey ? await entityOrUndefined(this.table, rowKey.split("|")[1]!, rowKey) : undefined;
    return entity && fromEntity(entity);
  }

  async listByDesired(desired: DesiredState["desired"]): Promise<DesiredState[]> {
    await this.created();
    const out: DesiredState[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`desired eq ${desired}` } })) out.push(fromEntity(e));
    return out;
  }

  /** What claiming one entry did: replaced a holder, took a free VM, or found a newer holder. */
  private async claimOne(entry: DesiredState): Promise<{ kind: "replaced" | "keptByNewer"; held: DesiredState } | { kind: "new" }> {
    for (let tries = 0; tries < 5; tries++) {
      const held = (await this.get(entry.vmKey)) as Stored | undefined;
      if (held && held.requestId !== entry.requestId && held.requestCreatedAt.getTime() > entry.requestCreatedAt.getTime()) return { kind: "keptByNewer", held: withoutEtag(held) };
      try {
        if (held?.etag) await this.table.updateEntity(toEntity(entry), "Replace", { etag: held.etag });
        else await this.table.createEntity(toEntity(entry));
        return held ? { kind: "replaced", held: withoutEtag(held) } : { kind: "new" };
      } catch (error) {
        if (!storageAnswered(error, 409, 412)) throw error;
      }
    }
    throw new Error(`could not record the desired state of ${entry.vmKey}: it kept changing`);
  }

  private async partition(subscriptionId: string): Promise<Map<string, Stored>> {
    const out = new Map<string, Stored>();
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${subscriptionId}` } })) {
      const state = fromEntity(e);
      out.set(state.vmKey, state);
    }
    return out;
  }
}

function withoutEtag(s: Stored): DesiredState {
  const { etag: _etag, ...state } = s;
  return state;
}

function toEntity(e: DesiredState) {
  const rowKey = vmRowKey(e.vmKey)!;
  return {
    partitionKey: rowKey.split("|")[1]!, rowKey, vmKey: e.vmKey, subscriptionId: e.subscriptionId, desired: e.desired,
    requestId: e.requestId, action: e.action, requestCreatedAt: e.requestCreatedAt,
  };
}

function fromEntity(e: Record<string, unknown> & { etag?: string }): Stored {
  return {
    vmKey: e.vmKey as string, subscriptionId: e.subscriptionId as string, desired: e.desired as DesiredState["desired"],
    requestId: e.requestId as string, action: e.action as DesiredState["action"], requestCreatedAt: tableDate(e.requestCreatedAt),
    etag: e.etag,
  };
}
