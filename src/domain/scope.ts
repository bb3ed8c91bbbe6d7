// Which VMs a v2 request acts on. Pure: the caller lists VMs from ARM.

import { tagValue } from "./tags";
import { VmRef, scaleSetKey } from "./resourceId";
import { Exclusion, RequestScopes } from "./scheduledRequest";
import { managedCapacityOf, managedCapacityReason } from "../targets/managedCapacity";

export interface VmCandidate {
  ref: VmRef;
  /** Must be vmKey(ref): the lower-cased canonical id. */
  key: string;
  tags: Record<string, string>;
  /** A Flexible member's scale set. */
  scaleSetId?: string;
}

export interface ExcludedVm<T> {
  vm: T;
  reason: string;
}

export interface ScopeSelection<T> {
  selected: T[];
  excluded: ExcludedVm<T>[];
}

export const EXCLUDE_TAG = "ssv2excludevm";

/** Tag ssv2excludevm=true; key and value compared case-insensitively, surrounding spaces ignored. */
export function isExcludedByTag(tags: Record<string, string>): boolean {
  return tagValue(tags, EXCLUDE_TAG)?.trim().toLowerCase() === "true";
}

/**
 * How `vm` falls in scope, most explicit first: listed in VMLists, inside a
 * ResourceGroups entry (subscription + group, case-insensitive), inside a
 * Subscriptions entry; undefined when in none.
 */
export function inScope(
  scopes: RequestScopes,
  vm: VmCandidate,
): "vmList" | "resourceGroup" | "subscription" | undefined {
  const sub = vm.ref.subscriptionId.toLowerCase();
  const rg = vm.ref.resourceGroup.toLowerCase();
  const name = vm.ref.name.toLowerCase();
  if (
    scopes.vms.some(
      (v) =>
        v.subscriptionId.toLowerCase() === sub && v.resourceGroup.toLowerCase() === rg && v.name.toLowerCase() === name,
    )
  ) {
    return "vmList";
  }
  // A Flexible scale set named in VMLists names each of its members as explicitly as their own ids would.
  const set = vm.scaleSetId?.toLowerCase();
  if (set && (scopes.scaleSets ?? []).some((s) => scaleSetKey(s) === set)) return "vmList";
  if (scopes.resourceGroups.some((g) => g.subscriptionId.toLowerCase() === sub && g.resourceGroup.toLowerCase() === rg)) {
    return "resourceGroup";
  }
  if (scopes.subscriptions.some((s) => s.toLowerCase() === sub)) return "subscription";
  return undefined;
}

function exclusionMatches(x: Exclusion, vm: VmCandidate): boolean {
  const name = vm.ref.name.toLowerCase();
  switch (x.kind) {
    case "id":
      return x.key === vm.key.toLowerCase();
    case "name":
      return x.name.toLowerCase() === name;
    case "namePrefix":
      return name.startsWith(x.prefix.toLowerCase());
  }
}

function exclusionText(x: Exclusion): string {
  switch (x.kind) {
    case "id":
      return x.key;
    case "name":
      return x.name;
    case "namePrefix":
      return `${x.prefix}*`;
  }
}

/**
 * Selects the VMs a request acts on, from the VMs the caller found in ARM.
 *
 * - A VM is in scope when its subscription is in Subscriptions, its
 *   subscription + resource group is in ResourceGroups, or it is in VMLists.
 *   The scopes are combined (union), as in v2.
 * - Each VM appears at most once (dedup by key, first occurrence wins), in
 *   stable order sorted by key; `excluded` is sorted the same way.
 * - Exclusions (ExcludedVMLists names, "prefix*" entries, full ids, and the tag
 *   ssv2excludevm=true) apply to VMs that came in through Subscriptions or
 *   ResourceGroups. A VM named in VMLists is kept despite a name, prefix or
 *   tag exclusion (explicit beats wildcard), but a full-id entry in
 *   ExcludedVMLists removes it (full-id exclusion beats everything).
 * - Compute another Azure service manages (AKS node pools, Service Fabric,
 *   Databricks: src/targets/managedCapacity.ts) is excluded from Subscriptions
 *   and ResourceGroups scopes with a named reason; only VMLists (the VM, or its
 *   Flexible scale set's id) overrides it.
 * - Precedence of reasons: full id, then managed capacity, then ExcludedVMLists
 *   names/prefixes in request order, then the tag.
 * - VMs in `found` that are in no scope are ignored, not reported.
 */
export function selectVms<T extends VmCandidate>(scopes: RequestScopes, found: T[]): ScopeSelection<T> {
  const byKey = new Map<string, T>();
  for (const vm of found) {
    const key = vm.key.toLowerCase();
    if (!byKey.has(key)) byKey.set(key, vm);
  }
  const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const selected: T[] = [];
  const excluded: ExcludedVm<T>[] = [];
  for (const key of keys) {
    const vm = byKey.get(key)!;
    const how = inScope(scopes, vm);
    if (how === undefined) continue;

    const byId = scopes.exclusions.find((x) => x.kind === "id" && exclusionMatches(x, vm));
    if (byId) {
      excluded.push({ vm, reason: `excluded by ExcludedVMLists entry "${exclusionText(byId)}"` });
      continue;
    }
    if (how === "vmList") {
      selected.push(vm);
      continue;
    }
    const managed = managedCapacityOf({ resourceGroup: vm.ref.resourceGroup, tags: vm.tags, scaleSetId: vm.scaleSetId });
    if (managed) {
      excluded.push({ vm, reason: managedCapacityReason(managed) });
      continue;
    }
    const byName = scopes.exclusions.find((x) => x.kind !== "id" && exclusionMatches(x, vm));
    if (byName) {
      excluded.push({ vm, reason: `excluded by ExcludedVMLists entry "${exclusionText(byName)}"` });
      continue;
    }
    if (isExcludedByTag(vm.tags)) {
      excluded.push({ vm, reason: `excluded by tag ${EXCLUDE_TAG}=true` });
      continue;
    }
    selected.push(vm);
  }
  return { selected, excluded };
}
