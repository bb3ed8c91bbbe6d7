/** The local Retail Prices API answers as the public docs describe (envelope, filters, paging, currency, outage). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureRows, retailPricesModel, startRetailPrices, RETAIL_PRICES_PATH, type RetailPriceItem, type RunningRetailPrices } from "../../src/local/retail-prices";

const origin = "http://prices.local";
const vmFilter = (region: string, sku: string) =>
  `$filter=${encodeURIComponent(`serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and armSkuName eq '${sku}'`)}`;

describe("the Retail Prices API model", () => {
  it("answers the documented envelope with one row of every meter kind for a size and region", () => {
    const m = retailPricesModel();
    const { status, body } = m.answer(vmFilter("westeurope", "Standard_D2s_v5"), origin) as { status: number; body: any };
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["BillingCurrency", "Count", "CustomerEntityId", "CustomerEntityType", "Items", "NextPageLink"]);
    expect(body).toMatchObject({ BillingCurrency: "USD", CustomerEntityId: "Default", CustomerEntityType: "Retail", NextPageLink: null, Count: 10 });
    const items = body.Items as RetailPriceItem[];
    const kinds = items.map((i) => `${i.type}|${i.productName.endsWith(" Windows") ? "win" : "linux"}|${i.skuName}|${i.isPrimaryMeterRegion}`);
    expect(kinds).toEqual(expect.arrayContaining([
      "Consumption|linux|D2s v5|true", "Consumption|win|D2s v5|true", "Consumption|linux|D2s v5 Spot|true", "Consumption|linux|D2s v5 Low Priority|true",
      "DevTestConsumption|win|D2s v5|true", "Reservation|linux|D2s v5|true", "Consumption|linux|D2s v5|false",
    ]));
    for (const key of ["currencyCode", "retailPrice", "unitPrice", "unitOfMeasure", "armRegionName", "location", "armSkuName", "skuName", "meterName", "productName", "serviceName", "type", "isPrimaryMeterRegion", "effectiveStartDate", "meterId", "skuId", "productId"]) {
      expect(items[0]).toHaveProperty(key);
    }
    expect(items.find((i) => i.type === "Reservation")?.reservationTerm).toMatch(/Year/);
  });

  it("compares filter values case-sensitively and narrows by priceType", () => {
    const m = retailPricesModel();
    const lower = m.answer(`$filter=${encodeURIComponent("serviceName eq 'virtual machines' and armRegionName eq 'westeurope'")}`, origin).body as any;
    expect(lower.Items).toEqual([]);
    const consumption = m.answer(`${vmFilter("eastus", "Standard_B2s")}${encodeURIComponent(" and priceType eq 'Consumption'")}`, origin).body as any;
    expect(consumption.Items.every((i: RetailPriceItem) => i.type === "Consumption")).toBe(true);
    expect(consumption.Count).toBe(7);
  });

  it("pages 100 items at a time through NextPageLink, the same query with $skip, null at the end", () => {
    const m = retailPricesModel();
    const all = fixtureRows().filter((r) => r.serviceName === "Virtual Machines");
    const seen: RetailPriceItem[] = [];
    let query = `$filter=${encodeURIComponent("serviceName eq 'Virtual Machines'")}`;
    let pages = 0;
    for (;;) {
      const body = m.answer(query, origin).body as any;
      pages++;
      expect(body.Count).toBe(body.Items.length);
      expect(body.Items.length).toBeLessThanOrEqual(100);
      seen.push(...body.Items);
      if (body.NextPageLink === null) break;
      const next = new URL(body.NextPageLink);
      expect(next.pathname).toBe(RETAIL_PRICES_PATH);
      expect(next.searchParams.get("$filter")).toBe("serviceName eq 'Virtual Machines'");
      query = next.search.slice(1);
    }
    expect(pages).toBe(Math.ceil(all.length / 100));
    expect(seen.map((i) => i.meterId)).toEqual(all.map((i) => i.meterId));
  });

  it("converts to the currencyCode asked for, keeps primary meters only on meterRegion='primary', refuses bad filters and currencies", () => {
    const m = retailPricesModel();
    const usd = (m.answer(vmFilter("westeurope", "Standard_D2s_v5"), origin).body as any).Items as RetailPriceItem[];
    const eur = m.answer(`${vmFilter("westeurope", "Standard_D2s_v5")}&currencyCode='EUR'`, origin).body as any;
    expect(eur.BillingCurrency).toBe("EUR");
    expect(eur.Items[0].currencyCode).toBe("EUR");
    expect(eur.Items[0].retailPrice).toBeCloseTo(usd[0]!.retailPrice * 0.92, 4);
    const primary = m.answer(`${vmFilter("westeurope", "Standard_D2s_v5")}&meterRegion='primary'`, origin).body as any;
    expect(primary.Items.every((i: RetailPriceItem) => i.isPrimaryMeterRegion)).toBe(true);
    expect(m.answer(`$filter=${encodeURIComponent("contains(armSkuName, 'D2')")}`, origin).status).toBe(400);
    expect(m.answer(`$filter=${encodeURIComponent("colour eq 'blue'")}`, origin).status).toBe(400);
    expect(m.answer("currencyCode='XYZ'", origin).status).toBe(400);
  });

  describe("over HTTP", () => {
    let prices: RunningRetailPrices;
    beforeAll(async () => void (prices = await startRetailPrices()));
    afterAll(async () => prices.close());

    it("serves GET /api/retail/prices, answers 503 during an outage, and counts the calls", async () => {
      const url = `${prices.url}${RETAIL_PRICES_PATH}?${vmFilter("northeurope", "Standard_D4s_v5")}`;
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as any).Count).toBe(10);
      prices.model.setOutage(true);
      expect((await fetch(url)).status).toBe(503);
      prices.model.setOutage(false);
      expect((await fetch(`${prices.url}/nope`)).status).toBe(404);
      expect(prices.model.calls.map((c) => c.status)).toEqual([200, 503]);
    });
  });
});
