/**
 * The benchmark's fleets (the simulator's `generate` feature) and the lower bound T* that Azure's documented
 * limits put on starting or deallocating them: the joint bound of Compute's bucket per subscription + region
 * (docs/azure-facts.md#compute-throttling: 1,500 at once, then 500 a minute, for UpdateVM and DeleteVM alike),
 * Resource Manager's write bucket per subscription (docs/azure-facts.md#arm-throttling: 200 at once, then 10 a
 * second), and the slowest operation.
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

export type BenchOperation = "start" | "deallocate";

export interface BenchFleet {
  spec: FleetSpec;
  subscriptions: string[];
  /**
   * What must happen one after the other: one stage for a plain run; for a Sequenced run, one per group, each
   * with its VMs per "subscription|region".
   */
  stages: Map<string, number>[];
  total: number;
  /** Resource groups in file order, per subscription (for rows that post one request per resource group). */
  resourceGroups: { subscriptionId: string; name: string }[];
}

export function subscriptionId(i: number): string {
  return `0000be0c-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
}

interface GenerateOptions {
  powerState?: "running" | "deallocated";
  tags?: Record<string, string>;
}

/** Splits `count` VMs into ~30% Windows and the rest Linux, as two `generate` entries. */
function generate(prefix: string, count: number, options: GenerateOptions = {}) {
  const windows = Math.round(count * WINDOWS_SHARE);
  const common = { powerState: options.powerState ?? ("deallocated" as const), ...(options.tags ? { tags: options.tags } : {}) };
  return [
    { namePrefix: `${prefix}l-`, count: count - windows, osType: "Linux" as const, ...common },
    { namePrefix: `${prefix}w-`, count: windows, osType: "Windows" as const, ...common },
  ].filter((g) => g.count > 0);
}

function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

const SEQUENCE_TAG = "sequencestart";

function finish(spec: FleetSpec): BenchFleet {
  const stagesByGroup = new Map<number, Map<string, number>>();
  const resourceGroups: BenchFleet["resourceGroups"] = [];
  let total = 0;
  for (const sub of spec.subscriptions ?? []) {
    for (const rg of sub.resourceGroups ?? []) {
      resourceGroups.push({ subscriptionId: sub.subscriptionId, name: rg.name });
      for (const gen of rg.generate ?? []) {
        const key = `${sub.subscriptionId}|${gen.location ?? rg.location}`.toLowerCase();
        const tag = gen.tags?.[SEQUENCE_TAG];
        const stageKey = tag === undefined ? 0 : Number(tag);
        const stage = stagesByGroup.get(stageKey) ?? new Map<string, number>();
        stage.set(key, (stage.get(key) ?? 0) + gen.count);
        stagesByGroup.set(stageKey, stage);
        total += gen.count;
      }
    }
  }
  const stages = [...stagesByGroup].sort((a, b) => a[0] - b[0]).map(([, stage]) => stage);
  return { spec, subscriptions: (spec.subscriptions ?? []).map((s) => s.subscriptionId), stages, total, resourceGroups };
}

export interface OneRegionOptions {
  resourceGroups?: number;
  /** Default deallocated (a start row); running for a stop row. */
  powerState?: "running" | "deallocated";
  /** A Sequenced fleet: resource groups are tagged `sequencestart` 0, 1, … in this many groups of equal size. */
  sequenceGroups?: number;
}

/** Scenario 1 (and 3, the baselines, and the rows of issue #12): one subscription, one region, 20 resource groups. */
export function oneRegionFleet(vms: number, options: OneRegionOptions = {}): BenchFleet {
  const resourceGroups = options.resourceGroups ?? 20;
  const sizes = split(vms, Math.min(resourceGroups, Math.max(1, vms)));
  const groupOf = (i: number) => (options.sequenceGroups ? Math.floor((i * options.sequenceGroups) / sizes.length) : undefined);
  return finish(
    {
      durations: BENCH_DURATIONS,
      subscriptions: [
        {
          subscriptionId: subscriptionId(0),
          resourceGroups: sizes.map((count, i) => ({
            name: `rg-${String(i + 1).padStart(2, "0")}`,
            location: "westeurope",
            generate: generate(`vm${String(i + 1).padStart(2, "0")}`, count, {
              powerState: options.powerState,
              tags: groupOf(i) === undefined ? undefined : { [SEQUENCE_TAG]: String(groupOf(i)) },
            }),
          })),
        },
      ],
    },
  );
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

/** ARM write bucket per subscription and principal (docs/azure-facts.md#arm-throttling): 200 at once, then 10 per second. */
export const WRITE_BURST = 200;
export const WRITE_REFILL_PER_SECOND = 10;

/** The slowest operation the simulator is configured to draw (not the slowest actually drawn). */
export function slowestOperationSeconds(operation: BenchOperation): number {
  return BENCH_DURATIONS[operation].maxSeconds;
}

export interface BoundOptions {
  operation?: BenchOperation;
  /** Some VMs cannot reach their state before this simulated second (an outage ends), then still need the slowest op. */
  notBeforeSeconds?: number;
}

/** Compute's bucket alone for one stage: the slowest subscription + region's max(0, N − 1,500)/500 minutes. */
function computeSeconds(stage: Map<string, number>): number {
  let worst = 0;
  for (const n of stage.values()) worst = Math.max(worst, (Math.max(0, n - START_BURST) / START_REFILL_PER_MINUTE) * 60);
  return worst;
}

/** Resource Manager's write bucket alone for one stage: the busiest subscription's max(0, N − 200)/10 seconds. */
function armWriteSeconds(stage: Map<string, number>): number {
  const perSubscription = new Map<string, number>();
  for (const [key, n] of stage) {
    const sub = key.split("|")[0]!;
    perSubscription.set(sub, (perSubscription.get(sub) ?? 0) + n);
  }
  let worst = 0;
  for (const n of perSubscription.values()) worst = Math.max(worst, Math.max(0, n - WRITE_BURST) / WRITE_REFILL_PER_SECOND);
  return worst;
}

/** The bound of a fleet, seconds: for each stage, the time `bucketSeconds` says it needs, plus the slowest operation. */
function boundSeconds(fleet: BenchFleet, options: BoundOptions, bucketSeconds: (stage: Map<string, number>) => number): number {
  const slowest = slowestOperationSeconds(options.operation ?? "start");
  const sum = fleet.stages.reduce((total, stage) => total + bucketSeconds(stage) + slowest, 0);
  return Math.max(sum, options.notBeforeSeconds ? options.notBeforeSeconds + slowest : 0);
}

/**
 * T*, the joint bound, seconds: for each stage, the later of Compute's and Resource Manager's write buckets, plus
 * the slowest operation; a Sequenced run's stages add up (each group must be in state before the next is called,
 * and the buckets refill during the slowest operation). No client can beat it. `notBeforeSeconds` raises it
 * when some VMs cannot get there before an outage ends.
 */
export function jointBoundSeconds(fleet: BenchFleet, options: BoundOptions = {}): number {
  return boundSeconds(fleet, options, (stage) => Math.max(computeSeconds(stage), armWriteSeconds(stage)));
}

/** The bound with Compute's bucket alone (the formula of issue #4), shown beside T* for comparison with earlier runs. */
export function computeOnlyBoundSeconds(fleet: BenchFleet, options: BoundOptions = {}): number {
  return boundSeconds(fleet, options, computeSeconds);
}

/**
 * Issue #23's hibernate row: `vms` running VMs in one subscription + region, of which `notEnabledShare` lack
 * `additionalCapabilities.hibernationEnabled` (they must be deallocated instead, each saying HibernateUnavailable).
 * A hibernate is a deallocate (Delete VM policy), so its bound is the deallocate one.
 */
export function hibernateFleet(vms: number, notEnabledShare = 0.1): BenchFleet {
  const notEnabled = Math.round(vms * notEnabledShare);
  return finish({
    durations: { ...BENCH_DURATIONS, hibernate: BENCH_DURATIONS.deallocate },
    subscriptions: [{
      subscriptionId: subscriptionId(0),
      resourceGroups: [{
        name: "rg-hibernate",
        location: "westeurope",
        generate: [
          { namePrefix: "hib-", count: vms - notEnabled, osType: "Linux" as const, powerState: "running" as const, hibernationEnabled: true },
          { namePrefix: "nohib-", count: notEnabled, osType: "Linux" as const, powerState: "running" as const },
        ].filter((g) => g.count > 0),
      }],
    }],
  });
}
