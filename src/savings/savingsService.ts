/**
 * Answers a savings query: reads the runs' history, settles every stopped interval's end (asking the Activity Log when
 * another cause started a VM), looks up each size's rate (cached a day; the cache stands in when the API is down) and
 * computes the report (report.ts).
 */
import { parseVmId, type VmRef } from "../domain/resourceId";
import type { ComputeGateway, VmInfo } from "../engine/ports";
import { mapWithConcurrency } from "../engine/concurrency";
import { stoppedIntervals } from "./history";
import { chooseRate, type PriceItem, type RateChoice } from "./rates";
import { computeSavings, isReserved, rateKeyId, rateKeyOf, type SavingsReport, type SettledInterval, type VmFacts } from "./report";
import type { SavingsQuery } from "./savingsQuery";
import type { PriceCache, PriceSource, SavingsHistoryStore, StartLookup } from "./ports";

export interface SavingsSettings {
  /** Sizes a reservation or savings plan covers ("size" or "region/size", lower case): compute saved there is zero. */
  reservedSizes: ReadonlySet<string>;
  /** The tag naming a VM's schedule, for groupBy=schedule. */
  scheduleTag: string;
  /** How far before `from` the history is read, to find stops whose interval reaches into the window. */
  lookbackDays: number;
  /** A cached price younger than this is used without asking the API. */
  priceMaxAgeHours: number;
  /** At most this many Activity Log lookups per query (VMs started by another cause). */
  maxStartLookups: number;
}

export interface SavingsDeps {
  history: SavingsHistoryStore;
  prices: PriceSource;
  priceCache: PriceCache;
  compute: Pick<ComputeGateway, "listVmsInSubscription" | "listVmStatuses">;
  starts: StartLookup;
  now: () => Date;
  settings: SavingsSettings;
}

export interface SavingsAnswer extends SavingsReport {
  /** Where the rates came from: API calls made, cache hits, and the sizes priced from an out-of-date cache because the API failed. */
  prices: { apiCalls: number; cacheHits: number; stale: Array<{ region: string; size: string; fetchedAt: string }>; note?: string };
  /** Storage requests the history read took, and the Activity Log lookups made. */
  cost: { historyStorageReads: number; activityLogLookups: number; subscriptionsListed: number };
}

const DAY_MS = 86_400_000;

export async function savingsReport(deps: SavingsDeps, query: SavingsQuery): Promise<SavingsAnswer> {
  const { settings } = deps;
  const now = deps.now();
  // The VMs of each subscription are listed (size, OS, priority, tags; power states) while the history is still read.
  const listings = new Map<string, Promise<VmInfo[] | Error>>();
  // Two subscriptions at a time: a list of thousands of VMs is big in memory while it is read (and it overlaps the history read).
  let slots = 2;
  const waiting: Array<() => void> = [];
  const slot = async () => {
    if (slots > 0) slots--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  };
  const listSubscription = (sub: string) => {
    if (listings.has(sub)) return;
    // Once more after a failure: a list is a read, safe to repeat, and a dropped idle connection should not unprice a subscription.
    const lists = () => deps.compute.listVmsInSubscription(sub);
    const listed = slot().then(() => lists().catch(lists)).finally(release);
    listings.set(sub, listed.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
  };
  const { history, storageReads } = await deps.history.read(new Date(query.from.getTime() - settings.lookbackDays * DAY_MS), query.to, (sub) => listSubscription(sub.toLowerCase()));
  const all = stoppedIntervals(history);
  // Only intervals that reach into the window matter.
  const intervals = new Map<string, SettledInterval[]>();
  for (const [key, list] of all) {
    const inWindow = list.filter((i) => i.start < query.to.getTime() && (i.end ?? Infinity) > query.from.getTime());
    if (inWindow.length > 0) intervals.set(key, inWindow);
  }
  const wanted = new Set<string>();
  for (const key of intervals.keys()) {
    const ref = parseVmId(key);
    if (ref) wanted.add(ref.subscriptionId.toLowerCase());
  }
  for (const sub of wanted) listSubscription(sub);
  // Power states only where a stretch is still open (is the VM running again, started by someone else?): one more list.
  const needPower = new Set<string>();
  for (const [key, list] of intervals) {
    if (list.some((i) => i.end === undefined && i.unknownEndBefore === undefined)) needPower.add(parseVmId(key)!.subscriptionId.toLowerCase());
  }
  const powerStates = new Map<string, Promise<Map<string, { powerState?: string }> | Error>>();
  for (const sub of needPower) {
    const read = () => deps.compute.listVmStatuses(sub);
    powerStates.set(sub, read().catch(read).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))));
  }
  const vms = new Map<string, VmFacts & { powerState?: string }>();
  const unlisted = new Map<string, string>();
  for (const sub of wanted) {
    const list = await listings.get(sub)!;
    if (list instanceof Error) {
      unlisted.set(sub, `the VMs of subscription ${sub} could not be listed: ${list.message.slice(0, 200)}`);
      continue;
    }
    const power = await powerStates.get(sub);
    if (power instanceof Error) {
      // Without power states an open stretch might be counted past a start by someone else: do not guess.
      unlisted.set(sub, `the power states of subscription ${sub}'s VMs could not be read: ${power.message.slice(0, 200)}`);
      continue;
    }
    for (const vm of list) {
      if (!intervals.has(vm.key)) continue;
      vms.set(vm.key, {
        id: vm.id, name: vm.ref.name, subscriptionId: vm.ref.subscriptionId, resourceGroup: vm.ref.resourceGroup, location: vm.location,
        size: vm.size, osType: vm.osType, priority: vm.priority, tags: vm.tags, powerState: power?.get(vm.key)?.powerState ?? vm.powerState, licenseType: vm.licenseType,
      });
    }
  }
  // Lists started for subscriptions with nothing in the window are not waited for, but must not fail unheard.
  for (const [sub, p] of listings) if (!wanted.has(sub)) void p;

  // Settle the ends another cause made.
  let lookups = 0;
  await mapWithConcurrency([...intervals], 8, async ([key, list]) => {
    const vm = vms.get(key);
    const ref = parseVmId(key);
    for (const interval of list) {
      if (interval.end !== undefined) continue;
      let bound = interval.unknownEndBefore;
      if (bound === undefined && vm && vm.powerState && !["deallocated", "deallocating"].includes(vm.powerState)) bound = now.getTime();
      if (bound === undefined || !ref) continue;
      if (lookups >= settings.maxStartLookups) {
        interval.uncountedReason = `started by another cause before ${new Date(bound).toISOString()}; more than ${settings.maxStartLookups} such VMs in one query, so it was not looked up in the Activity Log and is not counted`;
        continue;
      }
      lookups++;
      const found = await deps.starts.firstStart(ref as VmRef, new Date(interval.start), new Date(bound)).catch(() => undefined);
      if (found) interval.end = found.getTime();
      else interval.uncountedReason = `started by another cause before ${new Date(bound).toISOString()}, at a time the Activity Log does not show; not counted`;
    }
  });

  // Rates: one price lookup per region and size (all meter kinds come in one answer).
  const pairs = new Map<string, { region: string; size: string }>();
  for (const key of intervals.keys()) {
    const vm = vms.get(key);
    const rk = vm && !isReserved(vm, settings.reservedSizes) ? rateKeyOf(vm) : undefined;
    if (rk) pairs.set(`${rk.region}|${rk.size}`, { region: rk.region, size: rk.size });
  }
  let apiCalls = 0;
  let cacheHits = 0;
  const stale: SavingsAnswer["prices"]["stale"] = [];
  const failures: string[] = [];
  const itemsByPair = new Map<string, { items?: PriceItem[]; reason?: string }>();
  await mapWithConcurrency([...pairs], 4, async ([id, { region, size }]) => {
    const cached = await deps.priceCache.get(region, size, query.currency).catch(() => undefined);
    if (cached && now.getTime() - cached.fetchedAt.getTime() < settings.priceMaxAgeHours * 3_600_000) {
      cacheHits++;
      itemsByPair.set(id, { items: cached.items });
      return;
    }
    try {
      apiCalls++;
      const items = await deps.prices.vmPrices(region, size, query.currency);
      await deps.priceCache.put(region, size, query.currency, { items, fetchedAt: now }).catch(() => undefined);
      itemsByPair.set(id, { items });
    } catch (error) {
      const why = (error as Error).message.slice(0, 200);
      failures.push(why);
      if (cached) {
        stale.push({ region, size, fetchedAt: cached.fetchedAt.toISOString() });
        itemsByPair.set(id, { items: cached.items });
      } else {
        itemsByPair.set(id, { reason: `the Retail Prices API could not be reached (${why}) and no price of ${size} in ${region} in ${query.currency} is cached` });
      }
    }
  });
  const rates = new Map<string, RateChoice>();
  for (const vm of vms.values()) {
    const rk = rateKeyOf(vm);
    if (!rk || rates.has(rateKeyId(rk))) continue;
    const got = itemsByPair.get(`${rk.region}|${rk.size}`);
    if (!got) continue;
    rates.set(rateKeyId(rk), got.items ? chooseRate(rk, got.items, now) : { ok: false, reason: got.reason! });
  }

  const report = computeSavings({
    from: query.from, to: query.to, currency: query.currency, groupBy: query.groupBy, scheduleTag: settings.scheduleTag,
    intervals, vms, rates, reservedSizes: settings.reservedSizes,
  });
  // A VM missing from a list that failed is not "no longer exists": say why it is unpriced.
  for (const u of report.unpriced) {
    const sub = parseVmId(u.vmId)?.subscriptionId.toLowerCase();
    const why = sub ? unlisted.get(sub) : undefined;
    if (why) u.reason = why;
  }
  const note = failures.length === 0
    ? undefined
    : stale.length > 0
      ? `The Retail Prices API is unavailable (${failures[0]}); ${stale.length} size(s) were priced from the cache, last refreshed as listed in "stale".`
      : `The Retail Prices API is unavailable (${failures[0]}); sizes without a cached price are listed in "unpriced".`;
  return {
    ...report,
    prices: { apiCalls, cacheHits, stale, ...(note ? { note } : {}) },
    cost: { historyStorageReads: storageReads, activityLogLookups: lookups, subscriptionsListed: listings.size },
  };
}
