/**
 * Which alert writes make the managed alerts of one AutoStop configuration exactly the VMs in its scope. Pure.
 * A VM that left the scope (deleted, excluded, tagged ssv2excludevm=true, outside a narrowed scope) loses its
 * alert; a VM in scope gets one, updated only when it differs.
 */
import { parseVmId, vmKey } from "../domain/resourceId";
import type { VmCandidate } from "../domain/scope";
import { alertId, desiredAlert, differences, type MetricAlert } from "./alertRule";
import type { AutoStopCondition } from "./autoStopRequest";

export type AlertChange =
  | { kind: "create"; vmId: string; alert: MetricAlert }
  | { kind: "update"; vmId: string; alert: MetricAlert; changes: string[] }
  | { kind: "unchanged"; vmId: string; alert: MetricAlert }
  | { kind: "delete"; vmId: string; alert: MetricAlert; reason: string }
  | { kind: "excluded"; vmId: string; reason: string };

export interface SyncInput {
  configuration: string;
  /** False: the configuration is switched off, and every alert it made goes. */
  enabled: boolean;
  condition: AutoStopCondition;
  managedBy: string;
  actionGroupId: string;
  selected: Array<VmCandidate & { id: string }>;
  excluded: Array<{ vm: VmCandidate & { id: string }; reason: string }>;
  /** This configuration's alerts as listed from Azure. */
  existing: MetricAlert[];
}

export function planAlertSync(input: SyncInput): AlertChange[] {
  const existingByVm = new Map<string, MetricAlert[]>();
  for (const alert of input.existing) {
    const key = watchedVmKey(alert);
    existingByVm.set(key, [...(existingByVm.get(key) ?? []), alert]);
  }
  const changes: AlertChange[] = [];
  const handled = new Set<string>();
  if (input.enabled) {
    for (const vm of input.selected) {
      handled.add(vm.key);
      const want = desiredAlert(vm.ref, input.configuration, input.condition, input.managedBy, input.actionGroupId);
      const found = existingByVm.get(vm.key) ?? [];
      const same = found.find((a) => a.name.toLowerCase() === want.name.toLowerCase());
      if (!same) changes.push({ kind: "create", vmId: vm.id, alert: want });
      else {
        const diff = differences(same, want);
        changes.push(diff.length === 0 ? { kind: "unchanged", vmId: vm.id, alert: same } : { kind: "update", vmId: vm.id, alert: want, changes: diff });
      }
      // An alert of ours on this VM under another name (renamed VM, older naming) would stop it twice: remove it.
      for (const stray of found.filter((a) => a !== same)) changes.push({ kind: "delete", vmId: vm.id, alert: stray, reason: `a second alert of this configuration on the VM (kept ${want.name})` });
    }
  }
  for (const { vm, reason } of input.excluded) {
    handled.add(vm.key);
    const found = existingByVm.get(vm.key) ?? [];
    if (found.length === 0) changes.push({ kind: "excluded", vmId: vm.id, reason });
    for (const alert of found) changes.push({ kind: "delete", vmId: vm.id, alert, reason: input.enabled ? `the VM is excluded: ${reason}` : "AutoStop is switched off for this configuration" });
  }
  for (const [key, alerts] of existingByVm) {
    if (handled.has(key)) continue;
    for (const alert of alerts) {
      const reason = input.enabled ? "the VM is no longer in scope (deleted, or outside the scope)" : "AutoStop is switched off for this configuration";
      changes.push({ kind: "delete", vmId: alert.scopes[0] ?? alertId(alert), alert, reason });
    }
  }
  return changes;
}

function watchedVmKey(alert: MetricAlert): string {
  const ref = alert.scopes.length === 1 ? parseVmId(alert.scopes[0]) : undefined;
  return ref ? vmKey(ref) : `alert:${alertId(alert).toLowerCase()}`;
}
