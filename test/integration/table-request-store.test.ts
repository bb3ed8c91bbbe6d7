/**
 * The request store against real Azurite: VM rows spread over partitions of a subscription, batched
 * updates that are etag-checked row by row, and listings that find every row again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { startAzurite, type RunningAzurite } from "../../src/local/azurite";
import { TableRequestStore, TABLE_NAMES } from "../../src/adapters/tableRequestStore";
import type { VmRecord } from "../../src/engine/records";
import { SUB_A, SUB_B } from "../support/fleets";

let azurite: RunningAzurite;
let store: TableRequestStore;
let requests: TableClient;

beforeAll(async () => {
  azurite = await startAzurite();
  const client = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
  requests = client(TABLE_NAMES.requests);
  store = new TableRequestStore(requests, client(TABLE_NAMES.subscriptions));
});
afterAll(async () => azurite?.stop());

function vmRows(requestId: string, subscriptionId: string, count: number): VmRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const id = `/subscriptions/${subscriptionId}/resourceGroups/rg-store/providers/Microsoft.Compute/virtualMachines/vm-${String(i).padStart(4, "0")}`;
    return {
      requestId, key: id.toLowerCase(), id, subscriptionId, resourceGroup: "rg-store", name: `vm-${String(i).padStart(4, "0")}`,
      location: "westeurope", status: "Pending", attempt: 0,
    };
  });
}

describe("table request store", () => {
  it("spreads a subscription's rows over 16 partitions and lists them per subscription and per run", async () => {
    const requestId = "11111111-aaaa-4aaa-8aaa-000000000001";
    await store.insertVmRows([...vmRows(requestId, SUB_A, 800), ...vmRows(requestId, SUB_B, 30)]);

    const partitions = new Map<string, number>();
    for await (const e of requests.listEntities({ queryOptions: { filter: `PartitionKey ge '${requestId}|${SUB_A}|' and PartitionKey lt '${requestId}|${SUB_A}}'` } })) {
      partitions.set(e.partitionKey!, (partitions.get(e.partitionKey!) ?? 0) + 1);
    }
    expect(partitions.size).toBe(16);
    expect(Math.max(...partitions.values())).toBeLessThan(100);

    expect(await store.listVmRows(requestId, { subscriptionId: SUB_A })).toHaveLength(800);
    expect(await store.listVmRows(requestId, { subscriptionId: SUB_B })).toHaveLength(30);
    const all = await store.listVmRows(requestId);
    expect(all).toHaveLength(830);
    expect(all.every((r) => r.requestId === requestId)).toBe(true);
    const statuses = await store.listVmStatuses(requestId);
    expect(statuses).toHaveLength(830);
    expect(new Set(statuses)).toEqual(new Set(["Pending"]));
    const one = all.find((r) => r.name === "vm-0007" && r.subscriptionId === SUB_B)!;
    expect(await store.getVmRow(requestId, one.key)).toMatchObject({ key: one.key, status: "Pending" });
  });

  it("lists one Sequenced group, or one status, in storage", async () => {
    const requestId = "11111111-aaaa-4aaa-8aaa-000000000009";
    const rows = vmRows(requestId, SUB_A, 90).map((r, i) => ({ ...r, group: i % 3, status: i % 3 === 0 ? ("Pending" as const) : ("Held" as const) }));
    await store.insertVmRows(rows);
    const groupOne = await store.listVmRows(requestId, { group: 1 });
    expect(groupOne).toHaveLength(30);
    expect(groupOne.every((r) => r.group === 1)).toBe(true);
    expect(await store.listVmRows(requestId, { group: 0, status: "Held" })).toHaveLength(0);
    expect(await store.listVmRows(requestId, { status: "Held" })).toHaveLength(60);
    expect(await store.listVmRows(requestId, { subscriptionId: SUB_A, group: 2, openOnly: true })).toHaveLength(30);
  });

  it("writes a batch of updates, and refuses exactly the rows somebody else changed first", async () => {
    const requestId = "11111111-aaaa-4aaa-8aaa-000000000002";
    await store.insertVmRows(vmRows(requestId, SUB_A, 250));
    const rows = await store.listVmRows(requestId);
    // Another writer moves three rows on: their etags in `rows` are stale now.
    const movedOn = [rows[3]!, rows[120]!, rows[249]!];
    for (const row of movedOn) expect(await store.updateVmRow(row, { note: "re-kicked" })).toBeDefined();

    const actedAt = new Date("2026-11-22T08:00:00Z");
    const written = await store.updateVmRows(rows.map((row) => ({ row, changes: { status: "Acting" as const, attempt: 1, actedAt } })));

    const refused = rows.filter((_, i) => written[i] === undefined).map((r) => r.key).sort();
    expect(refused).toEqual(movedOn.map((r) => r.key).sort());
    const after = new Map((await store.listVmRows(requestId)).map((r) => [r.key, r]));
    for (const row of rows) {
      const stored = after.get(row.key)!;
      if (refused.includes(row.key)) {
        expect(stored).toMatchObject({ status: "Pending", note: "re-kicked", attempt: 0 });
      } else {
        expect(stored).toMatchObject({ status: "Acting", attempt: 1, actedAt });
      }
    }
    // What the batch returned carries the new etag: a further update from it succeeds.
    const next = written.find((w) => w !== undefined)!;
    expect(await store.updateVmRow(next, { status: "Succeeded" })).toBeDefined();
  });

  it("takes two updates of the same row in one batch: the first wins, the second finds the row moved on", async () => {
    const requestId = "11111111-aaaa-4aaa-8aaa-000000000003";
    await store.insertVmRows(vmRows(requestId, SUB_A, 5));
    const [row, other] = await store.listVmRows(requestId);
    const written = await store.updateVmRows([
      { row: row!, changes: { status: "Acting", attempt: 1 } },
      { row: other!, changes: { note: "kept" } },
      { row: row!, changes: { dueAt: new Date() } },
    ]);
    expect(written.map((w) => w !== undefined)).toEqual([true, true, false]);
    expect(await store.getVmRow(requestId, row!.key)).toMatchObject({ status: "Acting", attempt: 1 });
  });
});
