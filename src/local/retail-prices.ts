/**
 * A local Azure Retail Prices API (`GET https://prices.azure.com/api/retail/prices`), modelled from its public docs
 * (docs/savings.md "The Retail Prices API"): unauthenticated; an OData `$filter` of `field eq 'value'` terms joined by
 * `and`, whose values are case-sensitive; `currencyCode='EUR'`; `meterRegion='primary'`; pages of 100 items with a
 * `NextPageLink` that is the same query with `$skip`, null on the last page; the envelope
 * `{BillingCurrency, CustomerEntityId, CustomerEntityType, Items, NextPageLink, Count}`.
 *
 * Its fixture holds, for every size and region it knows, one row of each meter kind the app must tell apart: Linux and
 * Windows on-demand, Spot, Low Priority (Linux and Windows), DevTestConsumption, Reservation (1 and 3 years), and a
 * non-primary meter region's duplicate. `setOutage` makes it answer 503 (an outage); `calls` counts what it served.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const RETAIL_PRICES_PATH = "/api/retail/prices";
export const PAGE_SIZE = 100;

export interface RetailPriceItem {
  currencyCode: string;
  tierMinimumUnits: number;
  retailPrice: number;
  unitPrice: number;
  armRegionName: string;
  location: string;
  effectiveStartDate: string;
  meterId: string;
  meterName: string;
  productId: string;
  skuId: string;
  productName: string;
  skuName: string;
  serviceName: string;
  serviceId: string;
  serviceFamily: string;
  unitOfMeasure: string;
  type: "Consumption" | "Reservation" | "DevTestConsumption";
  isPrimaryMeterRegion: boolean;
  armSkuName: string;
  reservationTerm?: string;
}

/** USD on-demand Linux hourly rates of the fixture's sizes (made-up but plausible numbers, fixed so tests can use them). */
export const FIXTURE_LINUX_USD: Record<string, number> = {
  Standard_B2s: 0.0416,
  Standard_D2s_v5: 0.096,
  Standard_D4s_v5: 0.192,
  Standard_D8s_v5: 0.384,
  Standard_E4s_v5: 0.252,
  Standard_F2s_v2: 0.0846,
};
/** What the Windows licence adds per hour, per size. */
export const FIXTURE_WINDOWS_EXTRA_USD: Record<string, number> = {
  Standard_B2s: 0.0084,
  Standard_D2s_v5: 0.092,
  Standard_D4s_v5: 0.184,
  Standard_D8s_v5: 0.368,
  Standard_E4s_v5: 0.184,
  Standard_F2s_v2: 0.092,
};
/** Region multipliers (prices differ by region). */
export const FIXTURE_REGIONS: Record<string, { location: string; factor: number }> = {
  westeurope: { location: "EU West", factor: 1.1 },
  northeurope: { location: "EU North", factor: 1.05 },
  eastus: { location: "US East", factor: 1 },
  swedencentral: { location: "SE Central", factor: 1.08 },
};
/** Exchange rates from USD the fixture converts with (the real API converts at its own reference rates). */
export const FIXTURE_CURRENCIES: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 151.2 };

const round = (n: number, places = 6) => Math.round(n * 10 ** places) / 10 ** places;

function seriesOf(sku: string): { series: string; meter: string } {
  // Standard_D2s_v5 -> meter "D2s v5", series "Dsv5"; Standard_B2s -> "B2s", "BS"
  const name = sku.replace(/^Standard_/, "");
  const [size, version] = name.split("_");
  const letters = size!.replace(/\d+/g, "");
  return { meter: version ? `${size} ${version}` : size!, series: `${letters}${version ?? ""}` };
}

/** Every fixture row of one size in one region, in USD. */
function rowsFor(sku: string, region: string): RetailPriceItem[] {
  const linux = FIXTURE_LINUX_USD[sku]!;
  const windowsExtra = FIXTURE_WINDOWS_EXTRA_USD[sku]!;
  const r = FIXTURE_REGIONS[region]!;
  const { meter, series } = seriesOf(sku);
  const base = { tierMinimumUnits: 0, armRegionName: region, location: r.location, effectiveStartDate: "2024-01-01T00:00:00Z", serviceName: "Virtual Machines", serviceId: "DZH313Z7MMC8", serviceFamily: "Compute", unitOfMeasure: "1 Hour", armSkuName: sku, currencyCode: "USD" };
  const id = (kind: string) => `${region}-${sku}-${kind}`;
  const row = (kind: string, o: Partial<RetailPriceItem> & { retailPrice: number; productName: string; skuName: string; meterName: string; type: RetailPriceItem["type"] }): RetailPriceItem => ({
    ...base,
    unitPrice: o.retailPrice,
    meterId: id(kind),
    productId: `${series}-${kind.includes("win") ? "W" : "L"}`,
    skuId: `${series}/${id(kind)}`,
    isPrimaryMeterRegion: true,
    ...o,
  });
  const price = (usd: number) => round(usd * r.factor);
  const linuxProduct = `Virtual Machines ${series} Series`;
  const windowsProduct = `${linuxProduct} Windows`;
  return [
    row("linux", { retailPrice: price(linux), productName: linuxProduct, skuName: meter, meterName: meter, type: "Consumption" }),
    row("win", { retailPrice: price(linux + windowsExtra), productName: windowsProduct, skuName: meter, meterName: meter, type: "Consumption" }),
    row("linux-spot", { retailPrice: price(linux * 0.2), productName: linuxProduct, skuName: `${meter} Spot`, meterName: `${meter} Spot`, type: "Consumption" }),
    row("win-spot", { retailPrice: price(linux * 0.2 + windowsExtra), productName: windowsProduct, skuName: `${meter} Spot`, meterName: `${meter} Spot`, type: "Consumption" }),
    row("linux-low", { retailPrice: price(linux * 0.25), productName: linuxProduct, skuName: `${meter} Low Priority`, meterName: `${meter} Low Priority`, type: "Consumption" }),
    row("win-low", { retailPrice: price(linux * 0.25 + windowsExtra), productName: windowsProduct, skuName: `${meter} Low Priority`, meterName: `${meter} Low Priority`, type: "Consumption" }),
    row("win-devtest", { retailPrice: price(linux), productName: windowsProduct, skuName: meter, meterName: meter, type: "DevTestConsumption" }),
    row("linux-ri1", { retailPrice: round(price(linux) * 8760 * 0.6, 2), productName: linuxProduct, skuName: meter, meterName: meter, type: "Reservation", reservationTerm: "1 Year" }),
    row("linux-ri3", { retailPrice: round(price(linux) * 26280 * 0.4, 2), productName: linuxProduct, skuName: meter, meterName: meter, type: "Reservation", reservationTerm: "3 Years" }),
    // The same meter billed through another region's meter: not the primary one, at another price.
    row("linux-nonprimary", { retailPrice: price(linux * 1.3), productName: linuxProduct, skuName: meter, meterName: meter, type: "Consumption", isPrimaryMeterRegion: false }),
  ];
}

/** The whole fixture, in USD (sizes × regions × meter kinds), plus one unrelated service so a filter must exclude it. */
export function fixtureRows(): RetailPriceItem[] {
  const rows: RetailPriceItem[] = [];
  for (const region of Object.keys(FIXTURE_REGIONS)) for (const sku of Object.keys(FIXTURE_LINUX_USD)) rows.push(...rowsFor(sku, region));
  rows.push({
    currencyCode: "USD", tierMinimumUnits: 0, retailPrice: 0.0184, unitPrice: 0.0184, armRegionName: "westeurope", location: "EU West",
    effectiveStartDate: "2024-01-01T00:00:00Z", meterId: "westeurope-lrs", meterName: "LRS Data Stored", productId: "blob", skuId: "blob/lrs",
    productName: "Blob Storage", skuName: "Hot LRS", serviceName: "Storage", serviceId: "DZH317F1HKN0", serviceFamily: "Storage",
    unitOfMeasure: "1 GB/Month", type: "Consumption", isPrimaryMeterRegion: true, armSkuName: "",
  });
  return rows;
}

/** The $filter fields the model accepts, and the item property each one reads (`priceType` is the item's `type`). */
const FILTER_FIELDS: Record<string, keyof RetailPriceItem> = {
  armregionname: "armRegionName", armskuname: "armSkuName", servicename: "serviceName", pricetype: "type", skuname: "skuName",
  productname: "productName", metername: "meterName", location: "location", servicefamily: "serviceFamily", meterid: "meterId",
  serviceid: "serviceId", productid: "productId", skuid: "skuId",
};

export class FilterError extends Error {}

/** Parses `a eq 'x' and b eq 'y'` into exact-match terms; anything else is refused, as the service refuses it. */
export function parseFilter(filter: string): Array<{ field: keyof RetailPriceItem; value: string }> {
  const terms: Array<{ field: keyof RetailPriceItem; value: string }> = [];
  const re = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*(?:and\s+|$)/i;
  let rest = filter.trim();
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m) throw new FilterError(`Invalid $filter near "${rest.slice(0, 40)}": expected <field> eq '<value>' terms joined by 'and'.`);
    const field = FILTER_FIELDS[m[1]!.toLowerCase()];
    if (!field) throw new FilterError(`Invalid $filter: unknown field '${m[1]}'.`);
    terms.push({ field, value: m[2]!.replace(/''/g, "'") });
    rest = rest.slice(m[0].length);
  }
  return terms;
}

function unquote(v: string | null): string | undefined {
  if (v === null) return undefined;
  return v.replace(/^'(.*)'$/, "$1");
}

export interface PricesAnswer {
  status: number;
  body: unknown;
}

export interface RetailPricesModel {
  /** Answers one GET of the prices path (`search` is the raw query string without '?'). */
  answer(search: string, origin: string): PricesAnswer;
  /** From now on every call answers 503 (until `setOutage(false)`). */
  setOutage(down: boolean): void;
  /** GETs of the prices path served (including refused ones and outages). */
  readonly calls: Array<{ query: string; status: number }>;
}

export function retailPricesModel(rows: RetailPriceItem[] = fixtureRows()): RetailPricesModel {
  let down = false;
  const calls: Array<{ query: string; status: number }> = [];
  const answer = (search: string, origin: string): PricesAnswer => {
    const result = answerUnlogged(search, origin);
    calls.push({ query: search, status: result.status });
    return result;
  };
  const answerUnlogged = (search: string, origin: string): PricesAnswer => {
    if (down) return { status: 503, body: { Error: { Code: "ServiceUnavailable", Message: "The service is temporarily unavailable." } } };
    const q = new URLSearchParams(search);
    const currency = unquote(q.get("currencyCode")) ?? "USD";
    const rate = FIXTURE_CURRENCIES[currency];
    if (rate === undefined) return { status: 400, body: { Error: { Code: "InvalidCurrency", Message: `Currency code '${currency}' is not supported.` } } };
    let terms: ReturnType<typeof parseFilter> = [];
    try {
      terms = parseFilter(q.get("$filter") ?? "");
    } catch (error) {
      return { status: 400, body: { Error: { Code: "InvalidFilter", Message: (error as Error).message } } };
    }
    const primaryOnly = unquote(q.get("meterRegion")) === "primary";
    const skip = Math.max(0, Number(q.get("$skip") ?? 0) || 0);
    const matching = rows.filter((r) => (!primaryOnly || r.isPrimaryMeterRegion) && terms.every((t) => r[t.field] === t.value));
    const page = matching.slice(skip, skip + PAGE_SIZE).map((r) =>
      rate === 1 ? r : { ...r, currencyCode: currency, retailPrice: round(r.retailPrice * rate, 4), unitPrice: round(r.unitPrice * rate, 4) },
    );
    let next: string | null = null;
    if (skip + PAGE_SIZE < matching.length) {
      const nextQuery = new URLSearchParams(search);
      nextQuery.set("$skip", String(skip + PAGE_SIZE));
      next = `${origin}${RETAIL_PRICES_PATH}?${nextQuery.toString()}`;
    }
    return {
      status: 200,
      body: { BillingCurrency: currency, CustomerEntityId: "Default", CustomerEntityType: "Retail", Items: page, NextPageLink: next, Count: page.length },
    };
  };
  return { answer, setOutage: (d) => void (down = d), calls };
}

export interface RunningRetailPrices {
  /** Base URL; the app's RETAIL_PRICES_URL is `${url}/api/retail/prices`. */
  url: string;
  model: RetailPricesModel;
  close(): Promise<void>;
}

/** Serves the model over HTTP on 127.0.0.1 (the API needs no credentials, so no TLS is needed to test it locally). */
export async function startRetailPrices(rows?: RetailPriceItem[]): Promise<RunningRetailPrices> {
  const model = retailPricesModel(rows);
  const server: Server = createServer((req, res) => {
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const path = q < 0 ? raw : raw.slice(0, q);
    if (req.method !== "GET" || path !== RETAIL_PRICES_PATH) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ Error: { Code: "NotFound", Message: "Not found." } }));
      return;
    }
    const result = model.answer(q < 0 ? "" : raw.slice(q + 1), `http://${req.headers.host ?? "127.0.0.1"}`);
    res.writeHead(result.status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(result.body));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    model,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
