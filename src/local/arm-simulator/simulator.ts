/** The in-memory ARM world: fleet index, operations, clock, buckets, faults and log. No HTTP here. */
import { createHash } from "node:crypto";
import { Clock } from "./clock";
import { DEFAULT_DURATIONS, drawDurationSeconds, expandFleet, type DurationKind, type DurationRange, type FleetSpec, type ScaleSetSeed, type VmSeed } from "./fleet";
import { Throttler, defaultLimits, mergeLimits, type LimitsConfig, type LimitsInput } from "./buckets";
import { FaultBook, wildcard } from "./faults";
import { RbacBook } from "./rbac";
import { RequestLog } from "./request-log";
import { mulberry32 } from "./random";
import { ActivityLog } from "./activity-log";
import { InsightsModel } from "./insights-model";
import { AlertWebhooks } from "./alert-webhooks";
import { AlertsManagement } from "./alerts-management";
import { WebSites } from "./web-sites";
import { AutoscaleSettings, autoscaleSettingId } from "./autoscale-settings";
import {
  beginAction,
  powerStateOf,
  provisioningStateOf,
  type ActionKind,
  type ActionOutcome,
  type Operation,
  type OperationError,
  type PowerState,
  type SimVm,
} from "./operations";
import {
  FAILING_START_ERROR,
  scaleSetResourceId,
  type ScaleSetAction,
  type ScaleSetOperation,
  type SimInstance,
  type SimScaleSet,
} from "./scale-sets";

export interface SimulatorOptions {
  timeScale?: number;
  seed?: number;
  limits?: LimitsInput | false;
  pageSize?: number;
}

export interface ResourceGroupEntry {
  name: string;
  location: string;
  vms: SimVm[];
  scaleSets: SimScaleSet[];
  /** The group's own tags (Microsoft.Resources; resource-tags.ts). */
  tags?: Record<string, string>;
}

export interface SubscriptionEntry {
  subscriptionId: string;
  resourceGroups: Map<string, ResourceGroupEntry>;
  vms: SimVm[];
  scaleSets: SimScaleSet[];
}

export interface ControlVm {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  osType: string;
  priority: string;
  tags: Record<string, string>;
  powerState: PowerState;
  provisioningState: string;
  /** The instance view says HibernationState/Hibernated. */
  hibernated: boolean;
  hibernationEnabled: boolean;
  history: Array<{ time: string; powerState: PowerState }>;
}

/** A scale set as the control API shows it, with each instance's state and history. */
export interface ControlScaleSet {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  orchestrationMode: string;
  capacity: number;
  tags: Record<string, string>;
  /** Uniform: its instances. Flexible: none (its members are VMs, see `memberVmIds`). */
  instances: ControlInstance[];
  /** Flexible: the ids of its member VMs. */
  memberVmIds?: string[];
}

export interface ControlInstance {
  instanceId: string;
  id: string;
  name: string;
  powerState: PowerState;
  provisioningState: string;
  /** The last failed operation's error (with `ProvisioningState/failed/<code>` in the instance view), if any. */
  failure?: { code: string; message: string; time: string };
  history: Array<{ time: string; powerState: PowerState }>;
}

export function vmResourceId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
}

export class ArmSimulator {
  readonly clock: Clock;
  readonly throttler: Throttler;
  readonly faults = new FaultBook();
  readonly rbac = new RbacBook();
  readonly log = new RequestLog();
  /** Activity Log and Resource Health records of the VMs' power actions and evictions. */
  readonly activity = new ActivityLog();
  /** Metric alerts, action groups and the VMs' CPU (AutoStop), and the webhook deliveries their alerts make. */
  readonly insights = new InsightsModel();
  readonly alertWebhooks = new AlertWebhooks(this);
  /** Microsoft.AlertsManagement: one alert instance per firing (alerts-management.ts). */
  readonly alertsManagement = new AlertsManagement();
  /**
   * Azure Monitor's secure webhook: the Entra token an action group sends to a receiver with `useAadAuth` (set by the
   * local world from its Entra simulator); without it such a delivery fails as it would without a token.
   */
  secureWebhookToken?: (receiver: { identifierUri: string; objectId?: string; tenantId?: string }) => string;
  /** Microsoft.Insights/autoscalesettings (autoscale-settings.ts): read, enabled and disabled, never scaling anything. */
  readonly autoscale = new AutoscaleSettings();
  /** Function apps and the packages deployed to them (self-update). */
  readonly webSites = new WebSites();
  readonly pageSize: number;
  private readonly seed: number;
  private readonly initialLimits: LimitsConfig;
  private durationRandom: () => number;
  private faultRandom: () => number;
  private durations: Record<DurationKind, DurationRange> = { ...DEFAULT_DURATIONS };
  private subscriptions = new Map<string, SubscriptionEntry>();
  private vms = new Map<string, SimVm>();
  private operations = new Map<string, Operation>();
  private scaleSets = new Map<string, SimScaleSet>();
  private instances = new Map<string, SimInstance>();
  private scaleSetOperations = new Map<string, ScaleSetOperation>();
  private opCounter = 0;

  constructor(options: SimulatorOptions = {}) {
    this.clock = new Clock(options.timeScale ?? 1);
    this.seed = options.seed ?? 1;
    // Separate streams so adding a fault rule doesn't change operation durations.
    this.durationRandom = mulberry32(this.seed);
    this.faultRandom = mulberry32(this.seed ^ 0x9e3779b9);
    this.initialLimits = mergeLimits(defaultLimits(), options.limits);
    this.throttler = new Throttler(this.initialLimits);
    this.pageSize = options.pageSize ?? 200;
  }

  now(): number {
    return this.clock.now();
  }

  // ---- fleet -------------------------------------------------------------

  loadFleet(spec: FleetSpec, mode: "replace" | "add" = "replace"): { vms: number; scaleSets: number } {
    const { seeds, scaleSets, durations } = expandFleet(spec);
    if (mode === "replace") {
      this.subscriptions.clear();
      this.vms.clear();
      this.clearScaleSets();
      this.autoscale.clear();
      this.operations.clear();
      this.insights.clear();
      this.alertsManagement.clear();
      this.durations = { ...DEFAULT_DURATIONS };
    }
    Object.assign(this.durations, durations);
    const now = this.now();
    for (const seed of seeds) this.addVm(seed, now);
    for (const seed of scaleSets) this.addScaleSet(seed, now);
    // Subscriptions/groups listed without VMs still exist (so they answer empty lists, not 404).
    for (const sub of spec.subscriptions ?? []) {
      const s = this.ensureSubscription(sub.subscriptionId);
      for (const rg of sub.resourceGroups ?? []) {
        const group = this.ensureGroup(s, rg.name, rg.location);
        if (rg.tags) group.tags = { ...rg.tags };
      }
    }
    return { vms: this.vms.size, scaleSets: this.scaleSets.size };
  }

  reset(): void {
    this.insights.clear();
    this.alertsManagement.clear();
    this.subscriptions.clear();
    this.vms.clear();
    this.clearScaleSets();
    this.autoscale.clear();
    this.operations.clear();
    this.durations = { ...DEFAULT_DURATIONS };
    this.faults.remove();
    this.rbac.reset();
    this.firstAttempts.clear();
    this.log.clear();
    this.activity.clear();
    // Back to the limits the simulator was started with, so tests don't leak tiny buckets.
    this.throttler.configure(this.initialLimits);
    this.clock.reset();
    this.durationRandom = mulberry32(this.seed);
    this.faultRandom = mulberry32(this.seed ^ 0x9e3779b9);
  }

  setLimits(input: LimitsInput | false): void {
    this.throttler.configure(mergeLimits(this.throttler.config, input));
  }

  private ensureSubscription(subscriptionId: string): SubscriptionEntry {
    const key = subscriptionId.toLowerCase();
    let s = this.subscriptions.get(key);
    if (!s) {
      s = { subscriptionId, resourceGroups: new Map(), vms: [], scaleSets: [] };
      this.subscriptions.set(key, s);
    }
    return s;
  }

  private ensureGroup(sub: SubscriptionEntry, name: string, location: string): ResourceGroupEntry {
    const key = name.toLowerCase();
    let rg = sub.resourceGroups.get(key);
    if (!rg) {
      rg = { name, location, vms: [], scaleSets: [] };
      sub.resourceGroups.set(key, rg);
    }
    return rg;
  }

  private addVm(seed: VmSeed, now: number): void {
    const sub = this.ensureSubscription(seed.subscriptionId);
    const rg = this.ensureGroup(sub, seed.resourceGroup, seed.rgLocation);
    // Canonical casing comes from the first declaration of the subscription/group.
    const id = vmResourceId(sub.subscriptionId, rg.name, seed.name);
    const key = id.toLowerCase();
    const existing = this.vms.get(key);
    const vm: SimVm = {
      ...seed,
      subscriptionId: sub.subscriptionId,
      resourceGroup: rg.name,
      id,
      key,
      vmId: stableUuid(key),
      settled: seed.powerState,
      provisioningState: "Succeeded",
      history: [{ time: now, powerState: seed.powerState }],
    };
    if (existing) {
      // "add" mode redefines a VM in place so list order and array membership stay valid.
      for (const k of Object.keys(existing) as Array<keyof SimVm>) delete existing[k];
      Object.assign(existing, vm);
      return;
    }
    this.vms.set(key, vm);
    sub.vms.push(vm);
    rg.vms.push(vm);
  }

  private clearScaleSets(): void {
    this.scaleSets.clear();
    this.instances.clear();
    this.scaleSetOperations.clear();
  }

  private addScaleSet(seed: ScaleSetSeed, now: number): void {
    const sub = this.ensureSubscription(seed.subscriptionId);
    const rg = this.ensureGroup(sub, seed.resourceGroup, seed.rgLocation);
    const id = scaleSetResourceId(sub.subscriptionId, rg.name, seed.name);
    const key = id.toLowerCase();
    if (seed.implicit && this.scaleSets.has(key)) return;
    const set: SimScaleSet = { ...seed, subscriptionId: sub.subscriptionId, resourceGroup: rg.name, id, key, uniqueId: stableUuid(key), instances: [] };
    for (let i = 0; i < seed.capacity; i++) {
      const instanceId = String(i);
      const instanceKey = `${key}/virtualmachines/${instanceId}`;
      const instance: SimInstance = {
        subscriptionId: sub.subscriptionId,
        resourceGroup: rg.name,
        rgLocation: rg.location,
        name: `${seed.name}_${instanceId}`,
        location: seed.location,
        osType: seed.osType,
        vmSize: seed.sku,
        powerState: seed.powerState,
        priority: seed.priority,
        // A Uniform instance has no tags of its own: they live on the set.
        tags: {},
        hibernationEnabled: false,
        id: `${id}/virtualMachines/${instanceId}`,
        key: instanceKey,
        vmId: stableUuid(instanceKey),
        settled: seed.powerState,
        provisioningState: "Succeeded",
        history: [{ time: now, powerState: seed.powerState }],
        instanceId,
        scaleSetName: seed.name,
      };
      set.instances.push(instance);
      this.instances.set(instanceKey, instance);
    }
    const existing = this.scaleSets.get(key);
    if (existing) {
      // "add" mode redefines a set in place, like a VM: same list position, new instances.
      for (const old of existing.instances) this.instances.delete(old.key);
      Object.assign(existing, set);
      if (seed.autoscale) this.addAutoscaleSetting(existing, seed.autoscale.enabled);
      return;
    }
    this.scaleSets.set(key, set);
    sub.scaleSets.push(set);
    rg.scaleSets.push(set);
    if (seed.autoscale) this.addAutoscaleSetting(set, seed.autoscale.enabled);
  }

  /** The fleet's `autoscale` on a set: a setting `{set}-autoscale` in its group, one profile keeping its capacity. */
  private addAutoscaleSetting(set: SimScaleSet, enabled: boolean): void {
    const name = `${set.name}-autoscale`;
    const capacity = String(Math.max(1, this.scaleSetCapacity(set)));
    this.autoscale.put({
      id: autoscaleSettingId(set.subscriptionId, set.resourceGroup, name),
      name,
      location: set.location,
      tags: {},
      properties: {
        name,
        enabled,
        targetResourceUri: set.id,
        profiles: [{ name: "default", capacity: { minimum: "1", maximum: capacity, default: capacity }, rules: [] }],
        notifications: [],
      },
    });
  }

  // ---- lookups -----------------------------------------------------------

  subscription(subscriptionId: string): SubscriptionEntry | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  vmById(id: string): SimVm | undefined {
    return this.vms.get(id.toLowerCase());
  }

  vmCount(): number {
    return this.vms.size;
  }

  operation(id: string): Operation | undefined {
    return this.operations.get(id.toLowerCase());
  }

  scaleSetById(id: string): SimScaleSet | undefined {
    return this.scaleSets.get(id.toLowerCase());
  }

  /** A Uniform set's instance count, a Flexible set's member VMs' count. */
  scaleSetCapacity(set: SimScaleSet): number {
    return set.orchestrationMode === "Uniform" ? set.instances.length : this.flexibleMembers(set).length;
  }

  /** The VMs of the set's resource group that name it in `flexibleScaleSet`. */
  flexibleMembers(set: SimScaleSet): SimVm[] {
    if (set.orchestrationMode !== "Flexible") return [];
    const rg = this.subscription(set.subscriptionId)?.resourceGroups.get(set.resourceGroup.toLowerCase());
    const name = set.name.toLowerCase();
    return (rg?.vms ?? []).filter((vm) => vm.flexibleScaleSet?.toLowerCase() === name);
  }

  scaleSetOperation(id: string): ScaleSetOperation | undefined {
    return this.scaleSetOperations.get(id.toLowerCase());
  }

  // ---- actions -----------------------------------------------------------

  /** Counts the request for `firstAttemptOnly` and says whether it is the first one. */
  countAttempt(vm: SimVm, operation: string): boolean {
    vm.attempts ??= new Map();
    const n = (vm.attempts.get(operation) ?? 0) + 1;
    vm.attempts.set(operation, n);
    return n === 1;
  }

  private firstAttempts = new Map<string, number>();

  /** Same as countAttempt for requests without a VM (lists), keyed by subscription. */
  countScopeAttempt(scope: string, operation: string): boolean {
    const k = `${scope.toLowerCase()}|${operation}`;
    const n = (this.firstAttempts.get(k) ?? 0) + 1;
    this.firstAttempts.set(k, n);
    return n === 1;
  }

  faultRng(): () => number {
    return this.faultRandom;
  }

  /** `caller`: the principal that asked (recorded in the Activity Log); evictions are the platform's. */
  act(vm: SimVm, action: ActionKind, fails?: OperationError, caller = "unknown"): ActionOutcome {
    const range = this.durations[action];
    const durationMs = drawDurationSeconds(range, this.durationRandom) * 1000;
    const outcome = beginAction({
      vm,
      action,
      now: this.now(),
      durationMs,
      fails,
      newId: () => stableUuid(`${this.seed}|op|${++this.opCounter}`),
    });
    if (outcome.kind === "accepted" && !outcome.existing) {
      this.operations.set(outcome.op.id, outcome.op);
      this.activity.recordAction(outcome.op, caller);
    }
    return outcome;
  }

  /**
   * One batched scale-set call over `instances` (already checked: none refuses `action`). Each instance gets its own
   * operation and drawn duration; `failsFor` says which instances' operations end Failed (faults, failing starts).
   */
  actOnScaleSet(set: SimScaleSet, action: ScaleSetAction, instanceIds: string[], instances: SimInstance[], failsFor: (instance: SimInstance) => OperationError | undefined): ScaleSetOperation {
    const now = this.now();
    const instanceOps = instances.map((instance) => {
      const fails = failsFor(instance) ?? (action === "start" && set.failingStartInstances.includes(instance.instanceId) ? FAILING_START_ERROR : undefined);
      const durationMs = drawDurationSeconds(this.durations[action], this.durationRandom) * 1000;
      const outcome = beginAction({ vm: instance, action, now, durationMs, fails, newId: () => stableUuid(`${this.seed}|op|${++this.opCounter}`) });
      // firstRefusal was asked first, so every instance accepts (possibly joining its operation already in progress).
      if (outcome.kind !== "accepted") throw new Error(`instance ${instance.instanceId} refused ${action} after the check: ${outcome.message}`);
      return outcome.op;
    });
    const op: ScaleSetOperation = { id: stableUuid(`${this.seed}|op|${++this.opCounter}`), kind: action, set, startTime: now, instanceIds, instanceOps };
    this.scaleSetOperations.set(op.id, op);
    return op;
  }

  /**
   * A regional eviction storm: the platform takes back running Spot VMs (optionally only in `region`, matching
   * `namePattern`, at most `count`). Returns the IDs of the VMs evicted.
   */
  evict(filter: { region?: string; subscriptionId?: string; namePattern?: string; count?: number } = {}): string[] {
    const now = this.now();
    const pattern = filter.namePattern ? wildcard(filter.namePattern) : undefined;
    const evicted: string[] = [];
    for (const vm of this.vms.values()) {
      if (filter.count !== undefined && evicted.length >= filter.count) break;
      if (vm.priority === "Regular" || powerStateOf(vm, now) !== "running") continue;
      if (filter.region && vm.location.toLowerCase() !== filter.region.toLowerCase()) continue;
      if (filter.subscriptionId && vm.subscriptionId.toLowerCase() !== filter.subscriptionId.toLowerCase()) continue;
      if (pattern && !pattern.test(vm.name)) continue;
      if (this.act(vm, "simulateEviction", undefined, "platform").kind === "accepted") evicted.push(vm.id);
    }
    return evicted;
  }

  /**
   * What the deployment's Bicep makes for AutoStop: the app's resource group and an action group whose one webhook
   * (common alert schema) calls `webhookUri`. Returns the action group's id.
   */
  /** What the deployment makes for the app itself: its resource group and the function app. Returns the app's id. */
  deployFunctionApp(subscriptionId: string, resourceGroup: string, name: string): string {
    this.ensureGroup(this.ensureSubscription(subscriptionId), resourceGroup, "westeurope");
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Web/sites/${name}`;
    this.webSites.add(id);
    return id;
  }

  deployActionGroup(subscriptionId: string, resourceGroup: string, name: string, webhookUri: string, secure?: { identifierUri: string; objectId: string; tenantId: string }): string {
    this.ensureGroup(this.ensureSubscription(subscriptionId), resourceGroup, "westeurope");
    const id = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights/actionGroups/${name}`;
    this.insights.actionGroups.set(id.toLowerCase(), {
      id, name, subscriptionId, resourceGroup, location: "Global", tags: {},
      properties: { groupShortName: name.slice(0, 12), enabled: true, webhookReceivers: [{ name: "AutoStopVM", serviceUri: webhookUri, useCommonAlertSchema: true, ...(secure ? { useAadAuth: true, ...secure } : {}) }] },
    });
    return id;
  }

  /** Sets the CPU of the VMs named (ids) or matching a name pattern from now on; returns the VM ids. */
  setCpu(filter: { vmIds?: string[]; namePattern?: string; percent: number }): string[] {
    if (!Number.isFinite(filter.percent) || filter.percent < 0 || filter.percent > 100) throw new Error("percent must be a number from 0 to 100");
    const pattern = filter.namePattern ? wildcard(filter.namePattern) : undefined;
    const ids = new Set((filter.vmIds ?? []).map((id) => id.toLowerCase()));
    const chosen = [...this.vms.values()].filter((vm) => ids.has(vm.id.toLowerCase()) || (pattern?.test(vm.name) ?? false));
    this.insights.setCpu(chosen.map((vm) => vm.key), filter.percent, this.now());
    return chosen.map((vm) => vm.id);
  }

  // ---- control views -----------------------------------------------------

  controlVms(filter: { subscriptionId?: string; resourceGroup?: string; powerState?: string } = {}): ControlVm[] {
    let source: Iterable<SimVm> = this.vms.values();
    if (filter.subscriptionId) {
      const sub = this.subscription(filter.subscriptionId);
      source = !sub ? [] : filter.resourceGroup ? (sub.resourceGroups.get(filter.resourceGroup.toLowerCase())?.vms ?? []) : sub.vms;
    }
    const now = this.now();
    const rgFilter = filter.resourceGroup?.toLowerCase();
    const out: ControlVm[] = [];
    for (const vm of source) {
      if (rgFilter && vm.resourceGroup.toLowerCase() !== rgFilter) continue;
      const power = powerStateOf(vm, now);
      if (filter.powerState && power !== filter.powerState) continue;
      out.push(this.controlView(vm, now));
    }
    return out;
  }

  controlScaleSets(filter: { subscriptionId?: string; resourceGroup?: string } = {}): ControlScaleSet[] {
    const now = this.now();
    return [...this.scaleSets.values()]
      .filter((set) => !filter.subscriptionId || set.subscriptionId.toLowerCase() === filter.subscriptionId.toLowerCase())
      .filter((set) => !filter.resourceGroup || set.resourceGroup.toLowerCase() === filter.resourceGroup.toLowerCase())
      .map((set) => this.controlScaleSet(set, now));
  }

  controlScaleSet(set: SimScaleSet, now = this.now()): ControlScaleSet {
    return {
      id: set.id,
      name: set.name,
      subscriptionId: set.subscriptionId,
      resourceGroup: set.resourceGroup,
      location: set.location,
      orchestrationMode: set.orchestrationMode,
      capacity: this.scaleSetCapacity(set),
      tags: set.tags,
      ...(set.orchestrationMode === "Flexible" ? { memberVmIds: this.flexibleMembers(set).map((vm) => vm.id) } : {}),
      instances: set.instances.map((instance) => {
        const provisioningState = provisioningStateOf(instance, now);
        return {
          instanceId: instance.instanceId,
          id: instance.id,
          name: instance.name,
          powerState: powerStateOf(instance, now),
          provisioningState,
          ...(provisioningState === "Failed" && instance.failure
            ? { failure: { code: instance.failure.code, message: instance.failure.message, time: new Date(instance.failure.time).toISOString() } }
            : {}),
          history: instance.history.map((h) => ({ time: new Date(h.time).toISOString(), powerState: h.powerState })),
        };
      }),
    };
  }

  controlView(vm: SimVm, now = this.now()): ControlVm {
    return {
      id: vm.id,
      name: vm.name,
      subscriptionId: vm.subscriptionId,
      resourceGroup: vm.resourceGroup,
      location: vm.location,
      osType: vm.osType,
      priority: vm.priority,
      tags: vm.tags,
      powerState: powerStateOf(vm, now),
      provisioningState: provisioningStateOf(vm, now),
      hibernated: powerStateOf(vm, now) === "deallocated" && vm.hibernated === true,
      hibernationEnabled: vm.hibernationEnabled,
      history: vm.history.map((h) => ({ time: new Date(h.time).toISOString(), powerState: h.powerState })),
    };
  }
}

/** Deterministic UUID-shaped id (vmId, operation ids) so seeded runs repeat exactly. */
function stableUuid(input: string): string {
  const h = createHash("sha1").update(input).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
