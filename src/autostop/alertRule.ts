/**
 * One AutoStop metric alert: its deterministic name and home, the tags that mark it as ours, and whether an alert
 * found in Azure already says what we want. A deterministic name makes PUT idempotent (a rerun updates, never
 * 409s), and comparing first lets a rerun with nothing changed write nothing.
 */
import { tagValue } from "../domain/tags";
import { createHash } from "node:crypto";
import { vmId, vmKey, type VmRef } from "../domain/resourceId";
import type { AutoStopCondition } from "./autoStopRequest";

/** Tags on every alert this app manages: who made it, and which AutoStop configuration it belongs to. */
export const MANAGED_BY_TAG = "startstop-managed-by";
export const CONFIGURATION_TAG = "startstop-autostop";

export const VM_METRIC_NAMESPACE = "Microsoft.Compute/virtualMachines";

/** A metric alert as the app sees it (the adapter maps the SDK's shape to and from this). */
export interface MetricAlert {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  tags: Record<string, string>;
  description: string;
  severity: number;
  enabled: boolean;
  /** Resource ids the rule watches; ours watch exactly one VM. */
  scopes: string[];
  evaluationFrequency: string;
  windowSize: string;
  criteria: Array<{ metricName: string; metricNamespace?: string; operator: string; threshold: number; timeAggregation: string }>;
  autoMitigate: boolean;
  actionGroupIds: string[];
}

/** "autostop-web-01-3f2a9c1d": readable in the portal, unique per VM and configuration (VM names repeat across groups). */
export function alertName(vm: VmRef, configuration: string): string {
  const hash = createHash("sha256").update(`${vmKey(vm)}|${configuration}`).digest("hex").slice(0, 8);
  return `autostop-${vm.name}-${hash}`;
}

/** The alert one VM should have. It lives in the VM's resource group, where the app's role is granted. */
export function desiredAlert(vm: VmRef, configuration: string, condition: AutoStopCondition, managedBy: string, actionGroupId: string): MetricAlert {
  return {
    subscriptionId: vm.subscriptionId,
    resourceGroup: vm.resourceGroup,
    name: alertName(vm, configuration),
    tags: { [MANAGED_BY_TAG]: managedBy, [CONFIGURATION_TAG]: configuration },
    description: condition.description,
    severity: condition.severity,
    enabled: true,
    scopes: [vmId(vm)],
    evaluationFrequency: condition.evaluationFrequency,
    windowSize: condition.windowSize,
    criteria: [{
      metricName: condition.metricName,
      metricNamespace: VM_METRIC_NAMESPACE,
      operator: condition.operator,
      threshold: condition.threshold,
      timeAggregation: condition.timeAggregation,
    }],
    autoMitigate: true,
    actionGroupIds: [actionGroupId],
  };
}

/** Ours when both tags say so; an alert someone else made (or another deployment's) is never touched. */
export function isManagedBy(alert: Pick<MetricAlert, "tags">, managedBy: string, configuration?: string): boolean {
  const tag = (name: string) => tagValue(alert.tags, name);
  return tag(MANAGED_BY_TAG) === managedBy && (configuration === undefined ? tag(CONFIGURATION_TAG) !== undefined : tag(CONFIGURATION_TAG) === configuration);
}

/** Where differs from what, for the per-VM outcome ("updated: threshold 10 → 5"); empty when nothing would change. */
export function differences(actual: MetricAlert, desired: MetricAlert): string[] {
  const out: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const lower = (ids: string[]) => ids.map((id) => id.replace(/\/+$/, "").toLowerCase()).sort();
  const check = (what: string, a: unknown, b: unknown) => {
    if (!same(a, b)) out.push(`${what} ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
  };
  check("description", actual.description, desired.description);
  check("severity", actual.severity, desired.severity);
  check("enabled", actual.enabled, desired.enabled);
  check("scopes", lower(actual.scopes), lower(desired.scopes));
  check("evaluationFrequency", actual.evaluationFrequency.toUpperCase(), desired.evaluationFrequency.toUpperCase());
  check("windowSize", actual.windowSize.toUpperCase(), desired.windowSize.toUpperCase());
  check("autoMitigate", actual.autoMitigate, desired.autoMitigate);
  check("actionGroups", lower(actual.actionGroupIds), lower(desired.actionGroupIds));
  const criterion = (c: MetricAlert["criteria"][number] | undefined) =>
    c && { metricName: c.metricName.toLowerCase(), operator: c.operator.toLowerCase(), threshold: c.threshold, timeAggregation: c.timeAggregation.toLowerCase() };
  check("criteria", actual.criteria.length === 1 ? criterion(actual.criteria[0]) : actual.criteria, criterion(desired.criteria[0]));
  for (const [k, v] of Object.entries(desired.tags)) check(`tag ${k}`, actual.tags[k], v);
  return out;
}

/** The id ARM gives the alert (used in outcomes and the webhook check). */
export function alertId(alert: Pick<MetricAlert, "subscriptionId" | "resourceGroup" | "name">): string {
  return `/subscriptions/${alert.subscriptionId}/resourceGroups/${alert.resourceGroup}/providers/Microsoft.Insights/metricAlerts/${alert.name}`;
}
