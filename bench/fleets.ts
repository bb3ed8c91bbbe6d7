/**
 * The benchmark's fleets (the simulator's `generate` feature) and the lower bound T* that Azure's documented
 * limits put on starting them (docs/azure-facts.md#compute-throttling: per subscription + region, 1,500 starts at once, then 500 a
 * minute; plus the slowest start).
 */
import type { FleetSpec } from "../src/local/arm-simulator";

/** Realistic operation times (docs/azure-facts.md#power-states-and-lros: start 30 s–3 min, deallocate 30 s–2 min), log-normal. */
export const BENCH_DURATIONS = {
  start: { minSeconds: 30, maxSeconds: 180, medianSeconds: 60 },
  deallocate: { minSeconds: 30, maxSeconds: 120, medianSeconds: 50 },
};

/** Compute UpdateVM bucket per subscription + region (docs/azure-facts.md#compute-throttling). */
export const START_BURST = 1500;
export const START_REFILL_PER_MINUTE = 500;

export const WINDOWS_SHARE = 0.3;

export interface BenchFleet {
  spec: FleetSpec;
  subscriptions: string[];
  /** VMs per "subscription|region". */
  groups: Map<string, number>;
  total: number;
  /** Slowest configured start, seconds. */
  slowestStartSeconds: number;
}

export function subscriptionId(i: number): string {
  return `0000be0c-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
}

/** Splits `count` VMs into ~30% Windows and the rest Linux, as two `generate` entries. */
function generate(prefix: string, count: number) {
  const windows = Math.round(count * WINDOWS_SHARE);
  return [
    { namePrefix: `${prefix}l-`, count: count - windows, osType: "Linux" as const, powerState: "deallocated" as const },
    { namePrefix: `${prefix}w-`, count: windows, osType: "Windows" as const, powerState: "deallocated" as const },
  ].filter((g) => g.count > 0);
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function finish(spec: FleetSpec): BenchFleet {
  const groups = new Map<string, number>();
  let total = 0;
  for (const sub of spec.subscriptions ?? []) {
    for (const rg of sub.resourceGroups ?? []) {
      for (const gen of rg.generate ?? []) {
        const key = `${sub.subscriptionId}|${gen.location ?? rg.location}`.toLowerCase();
        groups.set(key, (groups.get(key) ?? 0) + gen.count);
        total += gen.count;
      }
    }
  }
  return {
    spec,
    subscriptions: (spec.subscriptions ?? []).map((s) => s.subscriptionId),
    groups,
    total,
    slowestStartSeconds: BENCH_DURATIONS.start.maxSeconds,
  };
}

/** Scenario 1 (and 3, and the baselines): one subscription, one region, 20 resource groups. */
export function oneRegionFleet(vms: number, resourceGroups = 20): BenchFleet {
  const sizes = split(vms, Math.min(resourceGroups, Math.max(1, vms)));
  return finish({
    durations: BENCH_DURATIONS,
    subscriptions: [
      {
        subscriptionId: subscriptionId(0),
        resourceGroups: sizes.map((count, i) => ({
          name: `rg-${String(i + 1).padStart(2, "0")}`,
          location: "westeurope",
          generate: generate(`vm${String(i + 1).padStart(2, "0")}`, count),
        })),
      },
    ],
  });
}

/** Scenario 2: `subscriptions` subscriptions × 2 regions, the VMs spread evenly. */
export function manyRegionsFleet(vms: number, subscriptions = 20, regions = ["westeurope", "northeurope"]): BenchFleet {
  const sizes = split(vms, subscriptions * regions.length);
  return finish({
    durations: BENCH_DURATIONS,
    subscriptions: Array.from({ length: subscriptions }, (_, s) => ({
      subscriptionId: subscriptionId(s),
      resourceGroups: regions.map((location, r) => ({
        name: `rg-${location}`,
        location,
        generate: generate(`s${String(s + 1).padStart(2, "0")}${location.slice(0, 3)}`, sizes[s * regions.length + r]),
      })),
    })),
  });
}

/**
 * T*, seconds: the slowest subscription + region needs max(0, N − 1,500)/500 minutes of Compute UpdateVM
 * budget, and its last start then takes up to the slowest operation. `notBeforeSeconds` raises the bound when
 * some VMs cannot start before a moment (the end of an outage), after which they still need the slowest op.
 */
/** ARM write bucket per subscription and principal (docs/azure-facts.md#arm-throttling): 200 at once, then 10 per second. */
export const WRITE_BURST = 200;
export const WRITE_REFILL_PER_SECOND = 10;

/**
 * The bound with both buckets: T*, or the ARM write bucket's max(0, N − 200)/10 s per subscription plus
 * the slowest start, whichever is later. No client can beat it; T* alone ignores the write bucket.
 */
export function bothBucketsBoundSeconds(fleet: BenchFleet, notBeforeSeconds = 0): number {
  const perSubscription = new Map<string, number>();
  for (const [key, n] of fleet.groups) {
    const sub = key.split("|")[0]!;
    perSubscription.set(sub, (perSubscription.get(sub) ?? 0) + n);
  }
  let writes = 0;
  for (const n of perSubscription.values()) writes = Math.max(writes, Math.max(0, n - WRITE_BURST) / WRITE_REFILL_PER_SECOND);
  return Math.max(lowerBoundSeconds(fleet, notBeforeSeconds), writes + fleet.slowestStartSeconds);
}

export function lowerBoundSeconds(fleet: BenchFleet, notBeforeSeconds = 0): number {
  let worst = 0;
  for (const n of fleet.groups.values()) worst = Math.max(worst, (Math.max(0, n - START_BURST) / START_REFILL_PER_MINUTE) * 60);
  return Math.max(worst + fleet.slowestStartSeconds, notBeforeSeconds > 0 ? notBeforeSeconds + fleet.slowestStartSeconds : 0);
}
