/** Fleet file format (docs/local-world.md "Fleet file") and its expansion into VM seeds. */

export type SettledPowerState = "running" | "stopped" | "deallocated";
export type DurationKind = "start" | "deallocate" | "hibernate" | "powerOff" | "restart" | "simulateEviction";

export interface DurationRange {
  minSeconds: number;
  maxSeconds: number;
  /**
   * Optional: draw from a log-normal distribution with this median (clipped to [min, max]) instead of
   * uniformly. Real operation times are right-skewed: most near the median, a tail towards the maximum.
   */
  medianSeconds?: number;
}

/**
 * Log-normal spread of a duration range with a median: σ is chosen so that the maximum sits at the
 * 99th percentile (z = 2.326) on the wider side of the median; draws are clipped to [min, max].
 */
export function drawDurationSeconds(range: DurationRange, random: () => number): number {
  const { minSeconds: min, maxSeconds: max, medianSeconds: median } = range;
  if (median === undefined || max <= min) return min + random() * (max - min);
  const m = Math.max(median, 1e-6);
  const lo = Math.max(min, 1e-6);
  const sigma = Math.max(Math.log(max / m), Math.log(m / lo), 1e-6) / 2.326;
  // Box-Muller from two uniforms of the seeded stream (1 - u keeps log away from 0).
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(max, Math.max(min, m * Math.exp(sigma * z)));
}

export interface FleetVmSpec {
  name: string;
  osType?: "Linux" | "Windows";
  vmSize?: string;
  /** Azure Hybrid Benefit: `Windows_Server` / `Windows_Client` (a Windows VM billed at the base, Linux, rate). */
  licenseType?: string;
  powerState?: SettledPowerState;
  priority?: "Regular" | "Spot" | "Low";
  evictionPolicy?: "Deallocate" | "Delete";
  location?: string;
  tags?: Record<string, string>;
  /** `additionalCapabilities.hibernationEnabled`: the VM may be hibernated. */
  hibernationEnabled?: boolean;
  /** Name of a Flexible scale set (same resource group) the VM is a member of. */
  flexibleScaleSet?: string;
}

/**
 * A virtual machine scale set in a resource group. Uniform: `capacity` instances with ids "0".."capacity-1", named
 * `{name}_{id}`, which carry no tags of their own (tags live on the set). Flexible: its members are the group's VMs
 * that name it in `flexibleScaleSet` (its capacity is their count); a VM naming an undeclared set makes one.
 */
export interface FleetScaleSetSpec {
  name: string;
  orchestrationMode: "Uniform" | "Flexible";
  /** Uniform only (0 to 1,000). */
  capacity?: number;
  /** The instances' size (`sku.name`); default Standard_D2s_v5. */
  sku?: string;
  location?: string;
  tags?: Record<string, string>;
  /** Every instance's settled power state at load; default deallocated (Uniform). */
  powerState?: SettledPowerState;
  osType?: "Linux" | "Windows";
  priority?: "Regular" | "Spot" | "Low";
  /** Instance ids whose every start fails (`ProvisioningState/failed/AllocationFailed`; the instance stays as it was). */
  failingStartInstances?: string[];
  /** An autoscale setting (Microsoft.Insights/autoscalesettings `{name}-autoscale`) that targets the set. */
  autoscale?: { enabled: boolean };
}

export interface FleetGenerateSpec extends Omit<FleetVmSpec, "name"> {
  namePrefix: string;
  count: number;
}

export interface FleetSpec {
  /** Simulated seconds; `simulateEviction` is an extension (time from eviction to deallocated). */
  durations?: Partial<Record<DurationKind, DurationRange>>;
  subscriptions?: Array<{
    subscriptionId: string;
    resourceGroups?: Array<{
      name: string;
      location: string;
      /** The resource group's own tags. */
      tags?: Record<string, string>;
      vms?: FleetVmSpec[];
      generate?: FleetGenerateSpec[];
      scaleSets?: FleetScaleSetSpec[];
    }>;
  }>;
}

export interface VmSeed {
  subscriptionId: string;
  resourceGroup: string;
  rgLocation: string;
  name: string;
  location: string;
  osType: "Linux" | "Windows";
  vmSize: string;
  licenseType?: string;
  powerState: SettledPowerState;
  priority: "Regular" | "Spot" | "Low";
  evictionPolicy?: "Deallocate" | "Delete";
  tags: Record<string, string>;
  hibernationEnabled: boolean;
  flexibleScaleSet?: string;
}

export interface ScaleSetSeed {
  subscriptionId: string;
  resourceGroup: string;
  rgLocation: string;
  name: string;
  orchestrationMode: "Uniform" | "Flexible";
  /** Uniform: the instance count; Flexible: 0 (the members are VMs). */
  capacity: number;
  sku: string;
  location: string;
  tags: Record<string, string>;
  powerState: SettledPowerState;
  osType: "Linux" | "Windows";
  priority: "Regular" | "Spot" | "Low";
  failingStartInstances: string[];
  autoscale?: { enabled: boolean };
  /** Made for a member VM, not declared: an existing set of that name is kept as it is. */
  implicit?: true;
}

export const DEFAULT_DURATIONS: Record<DurationKind, DurationRange> = {
  start: { minSeconds: 30, maxSeconds: 180 },
  deallocate: { minSeconds: 30, maxSeconds: 120 },
  hibernate: { minSeconds: 30, maxSeconds: 120 },
  powerOff: { minSeconds: 10, maxSeconds: 30 },
  restart: { minSeconds: 30, maxSeconds: 90 },
  simulateEviction: { minSeconds: 10, maxSeconds: 30 },
};

const POWER_STATES = new Set(["running", "stopped", "deallocated"]);

/** Validates a fleet object and flattens `vms` and `generate` into one list, in file order. */
export function expandFleet(spec: FleetSpec): { seeds: VmSeed[]; scaleSets: ScaleSetSeed[]; durations: Partial<Record<DurationKind, DurationRange>> } {
  if (!spec || typeof spec !== "object") throw new Error("fleet must be an object");
  const durations: Partial<Record<DurationKind, DurationRange>> = {};
  for (const [kind, range] of Object.entries(spec.durations ?? {})) {
    if (!(kind in DEFAULT_DURATIONS)) throw new Error(`unknown duration kind '${kind}'`);
    if (!range || !(range.minSeconds >= 0) || !(range.maxSeconds >= range.minSeconds)) {
      throw new Error(`durations.${kind} needs 0 <= minSeconds <= maxSeconds`);
    }
    if (range.medianSeconds !== undefined && !(range.medianSeconds >= range.minSeconds && range.medianSeconds <= range.maxSeconds)) {
      throw new Error(`durations.${kind}.medianSeconds must be between minSeconds and maxSeconds`);
    }
    durations[kind as DurationKind] = {
      minSeconds: range.minSeconds,
      maxSeconds: range.maxSeconds,
      ...(range.medianSeconds !== undefined ? { medianSeconds: range.medianSeconds } : {}),
    };
  }
  const seeds: VmSeed[] = [];
  const scaleSets: ScaleSetSeed[] = [];
  for (const sub of spec.subscriptions ?? []) {
    if (!sub.subscriptionId) throw new Error("subscriptionId is required");
    for (const rg of sub.resourceGroups ?? []) {
      if (!rg.name || !rg.location) throw new Error("resource groups need name and location");
      const base = { subscriptionId: sub.subscriptionId, resourceGroup: rg.name, rgLocation: rg.location };
      for (const vm of rg.vms ?? []) seeds.push(toSeed(base, vm.name, vm));
      for (const gen of rg.generate ?? []) {
        if (!(gen.count >= 0)) throw new Error("generate.count must be >= 0");
        for (let i = 1; i <= gen.count; i++) {
          seeds.push(toSeed(base, `${gen.namePrefix}${String(i).padStart(4, "0")}`, gen));
        }
      }
      for (const set of rg.scaleSets ?? []) scaleSets.push(toScaleSetSeed(base, set));
    }
  }
  const declared = new Set(scaleSets.map((s) => setKey(s)));
  for (const seed of seeds) {
    if (!seed.flexibleScaleSet) continue;
    const implicit = implicitFlexibleSet(seed);
    const existing = scaleSets.find((s) => setKey(s) === setKey(implicit));
    if (existing && existing.orchestrationMode !== "Flexible") throw new Error(`VM '${seed.name}': flexibleScaleSet '${seed.flexibleScaleSet}' is a Uniform set`);
    if (!declared.has(setKey(implicit))) {
      scaleSets.push(implicit);
      declared.add(setKey(implicit));
    }
  }
  return { seeds, scaleSets, durations };
}

function toSeed(
  base: { subscriptionId: string; resourceGroup: string; rgLocation: string },
  name: string,
  vm: Omit<FleetVmSpec, "name">,
): VmSeed {
  if (!name) throw new Error("VM name is required");
  const powerState = vm.powerState ?? "deallocated";
  if (!POWER_STATES.has(powerState)) throw new Error(`VM '${name}': powerState must be running, stopped or deallocated`);
  const priority = vm.priority ?? "Regular";
  return {
    ...base,
    name,
    location: vm.location ?? base.rgLocation,
    osType: vm.osType ?? "Linux",
    vmSize: vm.vmSize ?? "Standard_D2s_v5",
    ...(vm.licenseType ? { licenseType: vm.licenseType } : {}),
    powerState,
    priority,
    // Azure only reports an eviction policy for Spot/Low VMs.
    evictionPolicy: priority === "Regular" ? undefined : (vm.evictionPolicy ?? "Deallocate"),
    tags: { ...(vm.tags ?? {}) },
    hibernationEnabled: vm.hibernationEnabled === true,
    ...(vm.flexibleScaleSet ? { flexibleScaleSet: vm.flexibleScaleSet } : {}),
  };
}

function setKey(s: { subscriptionId: string; resourceGroup: string; name: string }): string {
  return `${s.subscriptionId}|${s.resourceGroup}|${s.name}`.toLowerCase();
}

function toScaleSetSeed(base: { subscriptionId: string; resourceGroup: string; rgLocation: string }, set: FleetScaleSetSpec): ScaleSetSeed {
  if (!set?.name) throw new Error("scale set name is required");
  const where = `scale set '${set.name}'`;
  if (set.orchestrationMode !== "Uniform" && set.orchestrationMode !== "Flexible") throw new Error(`${where}: orchestrationMode must be Uniform or Flexible`);
  const uniform = set.orchestrationMode === "Uniform";
  if (uniform && (!Number.isInteger(set.capacity) || set.capacity! < 0 || set.capacity! > 1000)) throw new Error(`${where}: capacity must be an integer from 0 to 1000`);
  if (!uniform && set.capacity !== undefined) throw new Error(`${where}: a Flexible set's capacity is its member VMs (flexibleScaleSet), not a number`);
  const capacity = uniform ? set.capacity! : 0;
  const powerState = set.powerState ?? "deallocated";
  if (!POWER_STATES.has(powerState)) throw new Error(`${where}: powerState must be running, stopped or deallocated`);
  const failing = set.failingStartInstances ?? [];
  if (!Array.isArray(failing) || failing.some((id) => typeof id !== "string" || !/^\d+$/.test(id) || Number(id) >= capacity)) {
    throw new Error(`${where}: failingStartInstances must name instance ids from "0" to "${capacity - 1}" of a Uniform set`);
  }
  if (set.autoscale !== undefined && typeof set.autoscale?.enabled !== "boolean") throw new Error(`${where}: autoscale must be {"enabled": true|false}`);
  return {
    ...base,
    name: set.name,
    orchestrationMode: set.orchestrationMode,
    capacity,
    sku: set.sku ?? "Standard_D2s_v5",
    location: set.location ?? base.rgLocation,
    tags: { ...(set.tags ?? {}) },
    powerState,
    osType: set.osType ?? "Linux",
    priority: set.priority ?? "Regular",
    failingStartInstances: [...failing],
    ...(set.autoscale ? { autoscale: { enabled: set.autoscale.enabled } } : {}),
  };
}

/** The Flexible set a member VM names but the fleet does not declare: made from its first member. */
export function implicitFlexibleSet(member: VmSeed): ScaleSetSeed {
  return {
    subscriptionId: member.subscriptionId,
    resourceGroup: member.resourceGroup,
    rgLocation: member.rgLocation,
    name: member.flexibleScaleSet!,
    orchestrationMode: "Flexible",
    capacity: 0,
    sku: member.vmSize,
    location: member.location,
    tags: {},
    powerState: member.powerState,
    osType: member.osType,
    priority: member.priority,
    failingStartInstances: [],
    implicit: true,
  };
}
