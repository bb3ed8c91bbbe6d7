/**
 * The shared budget's table against real Azurite: reservations racing from several instances never spend a token
 * twice (each is an etag-checked transaction), and a reservation that keeps losing those races is told to wait, like
 * one the bucket refused, instead of failing the executor run that asked (which would leave its claimed VMs until the
 * stall grace).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureNamedKeyCredential, TableClient, type TransactionAction } from "@azure/data-tables";
import { DEV_ACCOUNT, DEV_KEY, startAzurite, type RunningAzurite } from "../../src/local/azurite";
import { BUDGET_TABLE, TableBudgetLedger } from "../../src/adapters/tableBudgetLedger";
import type { BudgetDemand } from "../../src/budget/budgetLedger";
import { SUB_A } from "../support/fleets";

const budget = { compute: { burst: 40, refillPerSecond: 1 }, armWrites: { burst: 1000, refillPerSecond: 100 }, share: 1 };
let azurite: RunningAzurite;
const client = (name = BUDGET_TABLE) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite?.stop());

const demand = (requestId: string, want: number, nowMs: number): BudgetDemand => ({ subscriptionId: SUB_A, requestId, computeKey: "westeurope|UpdateVM", want, callByMs: nowMs + 5000 });

/** A table whose every transaction meets a real concurrent write first: Azurite answers 412, as it would a rival. */
class AlwaysRaced extends TableClient {
  override async submitTransaction(actions: TransactionAction[]) {
    const [, entity] = actions[0]!;
    // The rival changes nothing the ledger reads, only the row's etag.
    await client(this.tableName).upsertEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, touchedBy: `rival ${Date.now()}` }, "Merge");
    return super.submitTransaction(actions);
  }
}

describe("the shared budget's table", () => {
  it("30 reservations racing from 3 instances grant the burst once, never a token twice", async () => {
    const ledgers = [1, 2, 3].map(() => new TableBudgetLedger(client(), budget));
    const now = Date.parse("2026-12-04T08:00:00Z");
    const grants = await Promise.all(Array.from({ length: 30 }, (_, i) => ledgers[i % 3]!.reserve(demand(`r${i % 5}`, 3, now), now)));
    expect(grants.reduce((sum, g) => sum + g.granted, 0)).toBe(budget.compute.burst);
  });

  it("a reservation that loses every race is told to wait, with nothing spent, and does not throw", async () => {
    const raced = new AlwaysRaced(`http://127.0.0.1:${azurite.tablePort}/${DEV_ACCOUNT}`, "budgetraced", new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY), { allowInsecureConnection: true });
    const ledger = new TableBudgetLedger(raced, budget, () => 0.5);
    const now = Date.parse("2026-12-04T09:00:00Z");
    // An instance without rivals creates the rows and takes one token; every reservation of `ledger` then races.
    expect((await new TableBudgetLedger(client("budgetraced"), budget).reserve(demand("a", 1, now), now)).granted).toBe(1);
    const grant = await ledger.reserve(demand("a", 5, now + 100), now + 100);
    expect(grant.granted).toBe(0);
    expect(grant.waitSeconds).toBeGreaterThanOrEqual(1);
    expect(grant.waitSeconds).toBeLessThanOrEqual(2);
    // Nothing of the refused reservation reached the bucket: a fresh instance still finds burst - 1.
    const fresh = new TableBudgetLedger(client("budgetraced"), budget);
    expect((await fresh.reserve(demand("b", 100, now + 100), now + 100)).granted).toBe(budget.compute.burst - 1);
  });
});
