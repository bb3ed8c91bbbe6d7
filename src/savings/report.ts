/**
 * The savings figure: hours each VM was deallocated because of this app inside a window, priced at its size's hourly
 * rate, grouped as asked. Pure: the service (savingsService.ts) gathers the inputs.
 */
import { overlapMs, type StoppedInterval } from "./history";
import type { RateChoice, RateKey } from "./rates";
import { tagValue } from "../domain/tags";

export type GroupBy = { kind: "resourceGroup" } | { kind: "subscription" } | { kind: "schedule" } | { kind: "tag"; tag: string };

/** What the app knows of a VM now (from its subscription's VM list). */
export interface VmFacts {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  size?: string;
  osType?: string;
  priority?: string;
  tags: Record<string, string>;
  licenseType?: string;
}

/** An interval whose end the service settled: `end` (known or found), or not counted with a reason. */
export interface SettledInterval extends StoppedInterval {
  uncountedReason?: string;
}

export interface ReportInput {
  from: Date;
  to: Date;
  currency: string;
  groupBy: GroupBy;
  /** The tag that names a VM's schedule (groupBy=schedule). */
  scheduleTag: string;
  intervals: Map<string, SettledInterval[]>;
  /** Facts per vmKey; a key missing here is a VM that no longer exists. */
  vms: Map<string, VmFacts>;
  /** Rates per rateKeyId(). */
  rates: Map<string, RateChoice>;
  /** Sizes a reservation or savings plan covers: "size" or "region/size", lower case. */
  reservedSizes: ReadonlySet<string>;
}

export interface SavingsReport {
  from: string;
  to: string;
  currency: string;
  groupBy: string;
  totals: { hoursAvoided: number; moneyAvoided: number; vms: number; unpricedVms: number; reservedVms: number };
  groups: Array<{ key: string; hoursAvoided: number; moneyAvoided: number; vms: number }>;
  /** Per ISO week (starting Monday 00:00 UTC) inside the window. */
  weeks: Array<{ weekStart: string; hoursAvoided: number; moneyAvoided: number }>;
  rates: Array<{ region: string; size: string; os: "Windows" | "Linux"; spot: boolean; hourly: number; meter: string; product: string; vms: number; hoursAvoided: number }>;
  unpriced: Array<{ vmId: string; hoursAvoided: number; reason: string }>;
  reserved: Array<{ vmId: string; size: string; hoursAvoided: number }>;
  uncounted: Array<{ vmId: string; stoppedAt: string; reason: string }>;
}

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;
const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

export function rateKeyOf(vm: VmFacts): RateKey | undefined {
  if (!vm.size || !vm.location) return undefined;
  // Azure Hybrid Benefit: the Windows licence is the customer's own, so the VM is billed at the base (Linux) rate.
  const hybridBenefit = /^windows_(server|client)$/i.test(vm.licenseType ?? "");
  return { region: vm.location.toLowerCase(), size: vm.size, windows: (vm.osType ?? "").toLowerCase() === "windows" && !hybridBenefit, spot: (vm.priority ?? "").toLowerCase() === "spot" };
}

export function rateKeyId(k: RateKey): string {
  return `${k.region}|${k.size}|${k.windows ? "windows" : "linux"}|${k.spot ? "spot" : "regular"}`;
}

export function isReserved(vm: VmFacts, reservedSizes: ReadonlySet<string>): boolean {
  const size = (vm.size ?? "").toLowerCase();
  return size !== "" && (reservedSizes.has(size) || reservedSizes.has(`${vm.location.toLowerCase()}/${size}`));
}

function groupKey(vm: VmFacts | undefined, vmKey: string, groupBy: GroupBy, scheduleTag: string): string {
  if (!vm) {
    const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\//.exec(vmKey);
    if (groupBy.kind === "subscription") return m?.[1] ?? "(unknown)";
    if (groupBy.kind === "resourceGroup") return m ? `${m[1]}/${m[2]}` : "(unknown)";
    return "(VM no longer exists)";
  }
  switch (groupBy.kind) {
    case "subscription":
      return vm.subscriptionId.toLowerCase();
    case "resourceGroup":
      return `${vm.subscriptionId.toLowerCase()}/${vm.resourceGroup.toLowerCase()}`;
    case "schedule":
      return tagValue(vm.tags, scheduleTag) ?? "(no schedule tag)";
    case "tag":
      return tagValue(vm.tags, groupBy.tag) ?? `(no ${groupBy.tag} tag)`;
  }
}

function groupByName(g: GroupBy): string {
  return g.kind === "tag" ? `tag:${g.tag}` : g.kind;
}

export function computeSavings(input: ReportInput): SavingsReport {
  const from = input.from.getTime();
  const to = input.to.getTime();
  const groups = new Map<string, { hours: number; money: number; vms: number }>();
  const weeks = new Map<number, { hours: number; money: number }>();
  const rateUse = new Map<string, { vms: number; hours: number }>();
  const unpriced: SavingsReport["unpriced"] = [];
  const reserved: SavingsReport["reserved"] = [];
  const uncounted: SavingsReport["uncounted"] = [];
  let totalHours = 0;
  let totalMoney = 0;
  let countedVms = 0;
  const firstMonday = mondayOf(from);
  for (const [vmKey, intervals] of input.intervals) {
    const vm = input.vms.get(vmKey);
    let ms = 0;
    const weekMs = new Map<number, number>();
    for (const interval of intervals) {
      if (interval.uncountedReason) {
        if (interval.start < to) uncounted.push({ vmId: vm?.id ?? vmKey, stoppedAt: new Date(interval.start).toISOString(), reason: interval.uncountedReason });
        continue;
      }
      const end = interval.end ?? to;
      const part = overlapMs(interval.start, end, from, to);
      if (part <= 0) continue;
      ms += part;
      for (let w = firstMonday; w < to; w += WEEK_MS) {
        const inWeek = overlapMs(interval.start, end, Math.max(from, w), Math.min(to, w + WEEK_MS));
        if (inWeek > 0) weekMs.set(w, (weekMs.get(w) ?? 0) + inWeek);
      }
    }
    if (ms <= 0) continue;
    const hours = ms / HOUR_MS;
    const vmId = vm?.id ?? vmKey;
    let hourly = 0;
    if (!vm) {
      unpriced.push({ vmId, hoursAvoided: round(hours, 4), reason: "the VM no longer exists, so its size is unknown" });
    } else if (isReserved(vm, input.reservedSizes)) {
      reserved.push({ vmId, size: vm.size ?? "", hoursAvoided: round(hours, 4) });
    } else {
      const key = rateKeyOf(vm);
      const rate = key ? input.rates.get(rateKeyId(key)) : undefined;
      if (!key) unpriced.push({ vmId, hoursAvoided: round(hours, 4), reason: "the VM's size or region is unknown" });
      else if (!rate) unpriced.push({ vmId, hoursAvoided: round(hours, 4), reason: "no price was looked up for its size" });
      else if (!rate.ok) unpriced.push({ vmId, hoursAvoided: round(hours, 4), reason: rate.reason });
      else {
        hourly = rate.hourly;
        const use = rateUse.get(rateKeyId(key)) ?? { vms: 0, hours: 0 };
        use.vms++;
        use.hours += hours;
        rateUse.set(rateKeyId(key), use);
      }
    }
    const money = hours * hourly;
    totalHours += hours;
    totalMoney += money;
    countedVms++;
    const g = groupKey(vm, vmKey, input.groupBy, input.scheduleTag);
    const group = groups.get(g) ?? { hours: 0, money: 0, vms: 0 };
    group.hours += hours;
    group.money += money;
    group.vms++;
    groups.set(g, group);
    for (const [w, wms] of weekMs) {
      const week = weeks.get(w) ?? { hours: 0, money: 0 };
      week.hours += wms / HOUR_MS;
      week.money += (wms / HOUR_MS) * hourly;
      weeks.set(w, week);
    }
  }
  const rates: SavingsReport["rates"] = [];
  for (const [id, use] of rateUse) {
    const rate = input.rates.get(id);
    if (!rate?.ok) continue;
    const [region, size, os, spot] = id.split("|");
    rates.push({ region: region!, size: size!, os: os === "windows" ? "Windows" : "Linux", spot: spot === "spot", hourly: rate.hourly, meter: rate.meter, product: rate.product, vms: use.vms, hoursAvoided: round(use.hours, 4) });
  }
  rates.sort((a, b) => a.region.localeCompare(b.region) || a.size.localeCompare(b.size) || a.os.localeCompare(b.os) || Number(a.spot) - Number(b.spot));
  const weekList: SavingsReport["weeks"] = [];
  for (let w = firstMonday; w < to; w += WEEK_MS) {
    const week = weeks.get(w) ?? { hours: 0, money: 0 };
    weekList.push({ weekStart: new Date(w).toISOString(), hoursAvoided: round(week.hours, 4), moneyAvoided: round(week.money, 4) });
  }
  return {
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    currency: input.currency,
    groupBy: groupByName(input.groupBy),
    totals: { hoursAvoided: round(totalHours, 4), moneyAvoided: round(totalMoney, 4), vms: countedVms, unpricedVms: unpriced.length, reservedVms: reserved.length },
    groups: [...groups].map(([key, g]) => ({ key, hoursAvoided: round(g.hours, 4), moneyAvoided: round(g.money, 4), vms: g.vms })).sort((a, b) => b.moneyAvoided - a.moneyAvoided || a.key.localeCompare(b.key)),
    weeks: weekList,
    rates,
    unpriced,
    reserved,
    uncounted,
  };
}

/** Monday 00:00 UTC of the week holding `ms`. */
export function mondayOf(ms: number): number {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day);
}
