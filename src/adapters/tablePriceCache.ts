/**
 * Where Retail Prices answers are cached: `savingspricestable`, partition = currency, row = `<region>|<size>`, the
 * answer's VM rows and when they were fetched (the service refreshes them after a day, and falls back to them when
 * the API is down).
 */
import type { TableClient } from "@azure/data-tables";
import type { CachedPrices, PriceCache } from "../savings/ports";
import { createdOnFirstUse, entityOrUndefined, tableDate } from "./storageClients";

export const SAVINGS_PRICES_TABLE = "savingspricestable";

export class TablePriceCache implements PriceCache {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async get(region: string, size: string, currency: string): Promise<CachedPrices | undefined> {
    await this.created();
    const e = await entityOrUndefined<{ items: string; fetchedAt: unknown }>(this.table, currency, rowKey(region, size));
    return e && { items: JSON.parse(String(e.items)), fetchedAt: tableDate(e.fetchedAt) };
  }

  async put(region: string, size: string, currency: string, prices: CachedPrices): Promise<void> {
    await this.created();
    await this.table.upsertEntity({ partitionKey: currency, rowKey: rowKey(region, size), items: JSON.stringify(prices.items).slice(0, 30_000), fetchedAt: prices.fetchedAt }, "Replace");
  }
}

const rowKey = (region: string, size: string) => `${region}|${size}`.toLowerCase();
