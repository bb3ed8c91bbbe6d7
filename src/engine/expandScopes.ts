/**
 * Turns a request's scopes into concrete VMs with their current power state, using as few ARM reads as
 * possible: one paged list per subscription or resource group, one status list per subscription, and a
 * single GET only for VMs named one by one.
 */
import { isArmRequestError } from "../domain/armError";
import { classifyFailure } from "../domain/retryPolicy";
import { vmId, vmKey, type VmRef } from "../domain/resourceId";
import type { RequestScopes } from "../domain/scheduledRequest";
import { selectVms, type ExcludedVm } from "../domain/scope";
import type { ComputeGateway, VmInfo } from "./ports";
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

export async function expandScopes(compute: ComputeGateway, scopes: RequestScopes): Promise<Expansion> {
  const scopeErrors: ScopeError[] = [];
  const found = new Map<string, VmInfo>();
  const add = (vms: VmInfo[] | undefined) => vms?.forEach((vm) => found.set(vm.key, vm));

  const subscriptions = new Set(scopes.subscriptions);
  const groups = scopes.resourceGroups.filter((g) => !subscriptions.has(g.subscriptionId.toLowerCase()));
  const listedSubscriptions = new Set([...subscriptions, ...groups.map((g) => g.subscriptionId.toLowerCase())]);
  // Models and power states come from two lists; reading them side by side halves the wait.
  const [listed, statuses] = await Promise.all([
    mapWithConcurrency(
      [
        ...[...subscriptions].map((s) => ({ scope: `/subscriptions/${s}`, read: () => compute.listVmsInSubscription(s) })),
        ...groups.map((g) => ({
          scope: `/subscriptions/${g.subscriptionId}/resourceGroups/${g.resourceGroup}`,
          read: () => compute.listVmsInResourceGroup(g.subscriptionId, g.resourceGroup),
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
  // An identity allowed only on some resource groups cannot list a whole subscription's states: read those VMs one by one.
  const unknown = [...found.values()].filter((vm) => !known.has(vm.key));
  await mapWithConcurrency(unknown, GET_CONCURRENCY, async (vm) => {
    const status = await compute.getVmStatus(vm.ref);
    if (status) known.set(vm.key, status);
  });
  for (const vm of found.values()) vm.powerState = known.get(vm.key)?.powerState;

  const unreadable: Expansion["unreadable"] = [];
  const toGet = scopes.vms.filter((ref) => !found.has(vmKey(ref)));
  await mapWithConcurrency(toGet, GET_CONCURRENCY, async (ref) => {
    const vmErrors: ScopeError[] = [];
    const vm = await readScope(vmId(ref), vmErrors, () => compute.getVm(ref));
    if (vm) found.set(vm.key, vm);
    else if (vmErrors[0]) unreadable.push({ ref, code: vmErrors[0].code, message: vmErrors[0].message });
    else unreadable.push({ ref, code: "ResourceNotFound", message: `The VM ${vmId(ref)} was not found.` });
  });
  const selection = selectVms(scopes, [...found.values()]);
  return {
    selected: selection.selected,
    excluded: selection.excluded,
    unreadable,
    scopeErrors,
  };
}

