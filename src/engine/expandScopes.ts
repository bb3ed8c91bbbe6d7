/**
 * Turns a request's scopes into concrete VMs with their current power state, using as few ARM reads as
 * possible: one paged list per subscription or resource group, one status list per subscription, and a
 * single GET only for VMs named one by one.
 */
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { classifyFailure } from "../domain/retryPolicy";
import { resourceGroupKey, scaleSetId, scaleSetKey, vmId, vmKey, type VmRef } from "../domain/resourceId";
import type { RequestScopes } from "../domain/scheduledRequest";
import { selectVms, type ExcludedVm } from "../domain/scope";
import type { ComputeGateway, ResolvedRead, VmInfo } from "./ports";
import type { ObservedVmStatus } from "../domain/verification";
import type { ScopeError } from "./records";
import { mapWithConcurrency } from "./concurrency";

export interface Expansion {
  selected: VmInfo[];
  excluded: ExcludedVm<VmInfo>[];
  /** VMLists entries that could not be read (missing, or no permission): reported per VM as Failed. */
  unreadable: { ref: VmRef; code: string; message: string }[];
  /** Subscriptions or resource groups that could not be read for a reason retrying will not fix. */
  scopeErrors: ScopeError[];
}

const LIST_CONCURRENCY = 4;
const GET_CONCURRENCY = 16;

/** Transient failures propagate (the caller retries the whole expansion); permanent ones become scope errors. */
async function readScope<T>(scope: string, errors: ScopeError[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isArmRequestError(error) && classifyFailure(error.failure) === "permanent") {
      errors.push({ scope, code: error.failure.code, message: error.failure.message });
      return undefined;
    }
    throw error;
  }
}

export interface ExpansionOptions {
  /** Reads made by earlier attempts, by VM key; new ones are added to `progress.added`. */
  resolved?: ReadonlyMap<string, ResolvedRead>;
  /** At most this many per-VM reads in this attempt (ARM's read bucket: 250 at once, then 25/s). */
  singleReadBudget?: number;
}

/** The expansion could not finish in this attempt: what it read (to keep), and when to carry on. */
export interface PartialExpansion {
  incomplete: true;
  added: Map<string, ResolvedRead>;
  retryAfterSeconds: number;
  reason: string;
}

export async function expandScopes(compute: ComputeGateway, scopes: RequestScopes, options: ExpansionOptions = {}): Promise<Expansion | PartialExpansion> {
  const scopeErrors: ScopeError[] = [];
  const found = new Map<string, VmInfo>();
  const add = (vms: VmInfo[] | undefined) => vms?.forEach((vm) => found.set(vm.key, vm));
  const resolved = options.resolved ?? new Map<string, ResolvedRead>();
  const added = new Map<string, ResolvedRead>();
  const reads = new SingleReads(options.singleReadBudget ?? Infinity);

  const subscriptions = new Set(scopes.subscriptions);
  const groups = scopes.resourceGroups.filter((g) => !subscriptions.has(g.subscriptionId.toLowerCase()));
  // A Flexible scale set named in VMLists: its members are VMs of its resource group (one list, shared by every set
  // of that group, and none when a broader scope lists the group anyway).
  const scaleSets = scopes.scaleSets ?? [];
  const listedGroups = new Set(groups.map(resourceGroupKey));
  const setGroups = [...new Map(scaleSets
    .filter((set) => !subscriptions.has(set.subscriptionId.toLowerCase()) && !listedGroups.has(resourceGroupKey(set)))
    .map((set) => [resourceGroupKey(set), { subscriptionId: set.subscriptionId, resourceGroup: set.resourceGroup }] as const)).values()];
  const setKeys = new Set(scaleSets.map(scaleSetKey));
  const membersOnly = (vms: VmInfo[]) => vms.filter((vm) => vm.scaleSetId !== undefined && setKeys.has(vm.scaleSetId.toLowerCase()));
  const listedSubscriptions = new Set([...subscriptions, ...groups.map((g) => g.subscriptionId.toLowerCase()), ...setGroups.map((g) => g.subscriptionId.toLowerCase())]);
  // Models and power states come from two lists; reading them side by side halves the wait.
  const [listed, statuses] = await Promise.all([
    mapWithConcurrency(
      [
        ...[...subscriptions].map((s) => ({ scope: `/subscriptions/${s}`, read: () => compute.listVmsInSubscription(s) })),
        ...groups.map((g) => ({
          scope: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.resourceGroup}`,
          read: () => compute.listVmsInResourceGroup(g.subscriptionId, g.resourceGroup),
        })),
        ...setGroups.map((g) => ({
          scope: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.resourceGroup}`,
          read: async () => membersOnly(await compute.listVmsInResourceGroup(g.subscriptionId, g.resourceGroup)),
        })),
      ],
      LIST_CONCURRENCY,
      (item) => readScope(item.scope, scopeErrors, item.read),
    ),
    mapWithConcurrency([...listedSubscriptions], LIST_CONCURRENCY, (s) => readScope(`/subscriptions/${s}`, [], () => compute.listVmStatuses(s))),
  ]);
  listed.forEach(add);
  const known = new Map<string, ObservedVmStatus>();
  for (const statusMap of statuses) statusMap?.forEach((status, key) => known.set(key, status));
  // An identity allowed only on some resource groups cannot list a whole subscription's states: read those VMs one
  // by one — each read once across attempts, within this attempt's budget.
  const unknown = new Set([...found.values()].filter((vm) => !known.has(vm.key)));
  await mapWithConcurrency([...unknown], GET_CONCURRENCY, async (vm) => {
    const earlier = resolved.get(vm.key);
    if (earlier?.kind === "status") return void (vm.powerState = earlier.powerState);
    const status = await reads.run(() => compute.getVmStatus(vm.ref));
    if (status === SKIPPED) return;
    vm.powerState = status.ok ? status.value?.powerState : undefined;
    if (status.ok || status.permanent) added.set(vm.key, { kind: "status", powerState: vm.powerState });
  });
  for (const vm of found.values()) if (!unknown.has(vm)) vm.powerState = known.get(vm.key)?.powerState;

  const unreadable: Expansion["unreadable"] = [];
  const toGet = scopes.vms.filter((ref) => !found.has(vmKey(ref)));
  await mapWithConcurrency(toGet, GET_CONCURRENCY, async (ref) => {
    const key = vmKey(ref);
    let read = resolved.get(key);
    if (!read) {
      const answer = await reads.run(() => compute.getVm(ref));
      if (answer === SKIPPED) return;
      if (answer.ok) read = answer.value ? { kind: "vm", vm: answer.value } : { kind: "unreadable", code: "ResourceNotFound", message: `The VM ${vmId(ref)} was not found.` };
      else if (answer.permanent) read = { kind: "unreadable", code: answer.failure.code, message: answer.failure.message };
      else return;
      added.set(key, read);
    }
    if (read.kind === "vm") found.set(read.vm.key, read.vm);
    else if (read.kind === "unreadable") unreadable.push({ ref, code: read.code, message: read.message });
  });
  if (reads.stopped) {
    return { incomplete: true, added, retryAfterSeconds: reads.retryAfterSeconds, reason: reads.reason };
  }
  for (const set of scaleSets) {
    const key = scaleSetKey(set);
    if (![...found.values()].some((vm) => vm.scaleSetId?.toLowerCase() === key)) {
      scopeErrors.push({
        scope: scaleSetId(set), code: "NoFlexibleMembers",
        message: `no VM was found as a member of the scale set ${scaleSetId(set)}: it does not exist, has no instances, or is a Uniform scale set, which this app cannot act on yet`,
      });
    }
  }
  const selection = selectVms(scopes, [...found.values()]);
  return {
    selected: selection.selected,
    excluded: selection.excluded,
    unreadable,
    scopeErrors,
  };
}

const SKIPPED = Symbol("skipped");
type ReadAnswer<T> = { ok: true; value: T } | { ok: false; permanent: boolean; failure: ArmFailure };

/**
 * Per-VM reads of one expansion attempt: at most `budget` of them, and none after one was throttled or failed
 * transiently (the rest wait for the next attempt, which keeps what this one read).
 */
class SingleReads {
  private used = 0;
  stopped = false;
  retryAfterSeconds = 0;
  reason = "";

  constructor(private readonly budget: number) {}

  async run<T>(read: () => Promise<T>): Promise<ReadAnswer<T> | typeof SKIPPED> {
    if (this.stopped) return SKIPPED;
    if (this.used >= this.budget) {
      this.stop(Math.ceil(this.budget / READS_REFILL_PER_SECOND), `read ${this.budget} VMs one by one; carrying on when ARM's read budget has refilled`);
      return SKIPPED;
    }
    this.used++;
    try {
      return { ok: true, value: await read() };
    } catch (error) {
      if (!isArmRequestError(error)) throw error;
      const permanent = classifyFailure(error.failure) === "permanent";
      if (!permanent) this.stop(error.failure.retryAfterSeconds ?? 5, `${error.failure.code}: ${error.failure.message}`);
      return { ok: false, permanent, failure: error.failure };
    }
  }

  private stop(afterSeconds: number, reason: string): void {
    this.stopped = true;
    this.retryAfterSeconds = Math.max(this.retryAfterSeconds, afterSeconds);
    this.reason ||= reason;
  }
}

/** ARM's read bucket refills 25 reads per second per subscription and principal (docs/azure-facts.md#arm-throttling). */
const READS_REFILL_PER_SECOND = 25;
