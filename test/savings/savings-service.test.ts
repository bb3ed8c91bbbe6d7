/** The savings service's price handling, with in-memory twins of its ports: a day's cache, and the cache when the API is down. */
import { describe, expect, it } from "vitest";
import { savingsReport, type SavingsDeps } from "../../src/savings/savingsService";
import { fixtureRows } from "../../src/local/retail-prices";
import type { CachedPrices, PriceCache } from "../../src/savings/ports";
import { packEvents, type HistoryEvent } from "../../src/savings/history";
import type { VmInfo } from "../../src/engine/ports";

const SUB = "11111111-1111-4111-8111-111111111111";
const id = `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm-1`;
const key = id.toLowerCase();
const T0 = Date.parse("2026-11-02T00:00:00Z");
const H = 3_600_000;

function deps(now: { t: number }, api: { down: boolean; calls: number }): SavingsDeps {
  const cache = new Map<string, CachedPrices>();
  const priceCache: PriceCache = { get: async (r, s, c) => cache.get(`${c}|${r}|${s}`), put: async (r, s, c, p) => void cache.set(`${c}|${r}|${s}`, p) };
  const events: HistoryEvent[] = [{ vmKey: key, time: T0, kind: "stopped", requestId: "s1" }];
  const vm: VmInfo = { ref: { subscriptionId: SUB, resourceGroup: "rg-a", name: "vm-1" }, key, id, location: "westeurope", tags: {}, osType: "Linux", priority: "Regular", size: "Standard_D2s_v5" };
  return {
    history: { append: async () => undefined, read: async () => ({ history: packEvents(events), events: events.length, storageReads: 1 }) },
    prices: {
      vmPrices: async (region, size) => {
        api.calls++;
        if (api.down) throw new Error("the Retail Prices API answered 503");
        return fixtureRows().filter((r) => r.armRegionName === region && r.armSkuName === size);
      },
    },
    priceCache,
    compute: { listVmsInSubscription: async () => [vm], listVmStatuses: async () => new Map([[key, { powerState: "deallocated" as const }]]) },
    starts: { firstStart: async () => undefined },
    now: () => new Date(now.t),
    settings: { reservedSizes: new Set(), scheduleTag: "startstop-schedule", lookbackDays: 35, priceMaxAgeHours: 24, maxStartLookups: 100 },
  };
}

describe("prices in the savings service", () => {
  it("calls the API once a day per size and region, and when it is down answers from the out-of-date cache, saying so", async () => {
    const now = { t: T0 + 10 * H };
    const api = { down: false, calls: 0 };
    const d = deps(now, api);
    const query = { from: new Date(T0), to: new Date(T0 + 10 * H), groupBy: { kind: "resourceGroup" as const }, currency: "USD" };
    const first = await savingsReport(d, query);
    expect(first.totals.moneyAvoided).toBeCloseTo(10 * 0.1056, 10);
    expect(first.prices).toEqual({ apiCalls: 1, cacheHits: 0, stale: [] });
    now.t += 23 * H;
    expect((await savingsReport(d, query)).prices).toEqual({ apiCalls: 0, cacheHits: 1, stale: [] });
    expect(api.calls).toBe(1);
    now.t += 2 * H;
    api.down = true;
    const stale = await savingsReport(d, query);
    expect(stale.totals.moneyAvoided).toBe(first.totals.moneyAvoided);
    expect(stale.prices.stale).toEqual([{ region: "westeurope", size: "Standard_D2s_v5", fetchedAt: new Date(T0 + 10 * H).toISOString() }]);
    expect(stale.prices.note).toMatch(/unavailable \(the Retail Prices API answered 503\); 1 size\(s\) were priced from the cache/);
    expect(stale.unpriced).toEqual([]);
  });
});
