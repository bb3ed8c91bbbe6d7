/**
 * The only code that calls the Azure Retail Prices API (docs/savings.md): unauthenticated GETs, filtered by region and
 * size, following `NextPageLink` (only to the same origin), in the currency asked for.
 */
import { priceFilter, type PriceItem } from "../savings/rates";
import type { PriceSource } from "../savings/ports";

export const RETAIL_PRICES_API_VERSION = "2023-01-01-preview";

export class HttpRetailPrices implements PriceSource {
  /** Pages fetched (each a call of the API), for the benchmark. */
  calls = 0;

  constructor(private readonly url: string, private readonly timeoutMs = 15_000) {}

  async vmPrices(region: string, size: string, currency: string): Promise<PriceItem[]> {
    const first = new URL(this.url);
    first.searchParams.set("api-version", RETAIL_PRICES_API_VERSION);
    first.searchParams.set("currencyCode", `'${currency}'`);
    first.searchParams.set("meterRegion", "'primary'");
    first.searchParams.set("$filter", priceFilter(region, size));
    const items: PriceItem[] = [];
    let next: string | null = first.toString();
    for (let page = 0; next && page < 50; page++) {
      const url = new URL(next);
      if (url.origin !== first.origin) throw new Error(`the Retail Prices API's NextPageLink leaves ${first.origin} (${url.origin}); refused`);
      this.calls++;
      const res = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) throw new Error(`the Retail Prices API answered ${res.status} ${res.statusText}`.trim());
      const body = (await res.json()) as { Items?: PriceItem[]; NextPageLink?: string | null };
      items.push(...(body.Items ?? []));
      next = body.NextPageLink ?? null;
    }
    return items;
  }
}
