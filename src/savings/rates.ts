/**
 * Which Retail Prices row is a VM's on-demand hourly rate (docs/savings.md "Which row is which"). Pure.
 */

/** The fields of a Retail Prices item the app reads. */
export interface PriceItem {
  currencyCode: string;
  retailPrice: number;
  unitOfMeasure: string;
  armRegionName: string;
  armSkuName: string;
  skuName: string;
  meterName: string;
  productName: string;
  serviceName: string;
  type: string;
  isPrimaryMeterRegion?: boolean;
  effectiveStartDate?: string;
}

/** What a rate depends on: the VM's size and region, Windows or not, and whether it is a Spot VM. */
export interface RateKey {
  region: string;
  size: string;
  windows: boolean;
  spot: boolean;
}

export type RateChoice = { ok: true; hourly: number; currency: string; meter: string; product: string } | { ok: false; reason: string };

const isSpot = (i: PriceItem) => /\bSpot\b/.test(i.skuName) || /\bSpot\b/.test(i.meterName);
const isLowPriority = (i: PriceItem) => /Low Priority/.test(i.skuName) || /Low Priority/.test(i.meterName);
const isWindows = (i: PriceItem) => i.productName.endsWith(" Windows");

/**
 * The hourly rate for `key` among the items the API answered for its region and size: a primary-meter-region
 * Consumption row by the hour, Windows rows (product name ending " Windows") for Windows VMs, the Spot row for a
 * Spot VM, never a Low Priority, DevTestConsumption or Reservation row. Of several, the latest effective one.
 */
export function chooseRate(key: RateKey, items: PriceItem[], now: Date): RateChoice {
  const candidates = items.filter((i) =>
    i.serviceName === "Virtual Machines" && i.type === "Consumption" && i.isPrimaryMeterRegion !== false &&
    i.unitOfMeasure === "1 Hour" && i.armRegionName === key.region && i.armSkuName === key.size &&
    isWindows(i) === key.windows && isSpot(i) === key.spot && !isLowPriority(i) &&
    (i.effectiveStartDate === undefined || Date.parse(i.effectiveStartDate) <= now.getTime()),
  );
  if (candidates.length === 0) {
    const what = `${key.spot ? "Spot" : "on-demand"} ${key.windows ? "Windows" : "Linux"}`;
    return { ok: false, reason: `the Retail Prices API has no ${what} hourly rate for ${key.size} in ${key.region}` };
  }
  const best = candidates.reduce((a, b) => (Date.parse(b.effectiveStartDate ?? "0") > Date.parse(a.effectiveStartDate ?? "0") ? b : a));
  return { ok: true, hourly: best.retailPrice, currency: best.currencyCode, meter: best.meterName, product: best.productName };
}

/** The `$filter` for one region and size: every VM row of it, from which `chooseRate` picks (one call serves all kinds). */
export function priceFilter(region: string, size: string): string {
  const q = (v: string) => `'${v.replace(/'/g, "''")}'`;
  return `serviceName eq 'Virtual Machines' and armRegionName eq ${q(region)} and armSkuName eq ${q(size)} and priceType eq 'Consumption'`;
}
