/** Which simulated ARM route a method + path addresses (shared by the request pipeline and RBAC). */
import type { ActionKind } from "./operations";
import { parseResourcesRoute, type ResourcesRoute } from "./resource-routes";

export type Route =
  | { op: "list"; sub: string; rg?: string }
  | { op: "get" | "instanceView"; sub: string; rg: string; vm: string }
  | { op: ActionKind; sub: string; rg: string; vm: string }
  | { op: "operationStatus"; sub: string; region: string; opId: string }
  | { op: "activityLog"; sub: string }
  | { op: "availabilityStatus"; sub: string; rg: string; vm: string }
  | { op: "alertGet"; sub: string }
  | ScaleSetRoute
  | AutoscaleRoute
  | InsightsRoute
  | WebRoute
  | ResourcesRoute
  | { op: "unknown"; sub?: string; badMethod?: boolean };

/**
 * Microsoft.Compute/virtualMachineScaleSets (VirtualMachineScaleSets_* and VirtualMachineScaleSetVMs_* of the Compute
 * spec): list (by subscription or resource group), get, the batched power actions, and the instances.
 */
export interface ScaleSetRoute {
  op: ScaleSetRouteOperation;
  sub: string;
  rg?: string;
  set?: string;
  instanceId?: string;
}

export type ScaleSetActionOperation = "scaleSetStart" | "scaleSetDeallocate" | "scaleSetHibernate" | "scaleSetPowerOff";
export type ScaleSetRouteOperation = "scaleSetList" | "scaleSetGet" | ScaleSetActionOperation | "scaleSetInstanceList" | "scaleSetInstanceGet" | "scaleSetInstanceView";

const SCALE_SET_ACTIONS: Record<string, ScaleSetActionOperation> = {
  start: "scaleSetStart",
  deallocate: "scaleSetDeallocate",
  poweroff: "scaleSetPowerOff",
};

export function isScaleSetRoute(route: Route): route is ScaleSetRoute {
  return route.op.startsWith("scaleSet");
}

export function isScaleSetAction(op: string): op is ScaleSetActionOperation {
  return op === "scaleSetStart" || op === "scaleSetDeallocate" || op === "scaleSetHibernate" || op === "scaleSetPowerOff";
}

/** Microsoft.Insights/autoscalesettings (autoscale_API.json, 2015-04-01 as @azure/arm-monitor 7.0.0 sends it). */
export interface AutoscaleRoute {
  op: AutoscaleOperation;
  sub: string;
  rg?: string;
  name?: string;
}

export type AutoscaleOperation = "autoscaleList" | "autoscaleGet" | "autoscalePut" | "autoscalePatch" | "autoscaleDelete";

const AUTOSCALE_BY_METHOD: Record<string, AutoscaleOperation> = { GET: "autoscaleGet", PUT: "autoscalePut", PATCH: "autoscalePatch", DELETE: "autoscaleDelete" };

export function isAutoscaleRoute(route: Route): route is AutoscaleRoute {
  return route.op.startsWith("autoscale");
}

/** Microsoft.Insights resources: metric alerts (by resource group, or listed by subscription) and action groups. */
export interface InsightsRoute {
  op: InsightsOperation;
  sub: string;
  rg?: string;
  name?: string;
}

export type InsightsOperation = "metricAlertPut" | "metricAlertGet" | "metricAlertDelete" | "metricAlertList" | "actionGroupPut" | "actionGroupGet";

const INSIGHTS_BY_METHOD: Record<string, Record<string, InsightsOperation>> = {
  metricalerts: { PUT: "metricAlertPut", GET: "metricAlertGet", DELETE: "metricAlertDelete" },
  actiongroups: { PUT: "actionGroupPut", GET: "actionGroupGet" },
};

/** A function app's one-deploy extension (self-update). */
export interface WebRoute {
  op: "oneDeployPut" | "oneDeployGet";
  sub: string;
  rg: string;
  site: string;
}

export function isWebRoute(route: Route): route is WebRoute {
  return route.op === "oneDeployPut" || route.op === "oneDeployGet";
}

export function isInsightsRoute(route: Route): route is InsightsRoute {
  return route.op.startsWith("metricAlert") || route.op.startsWith("actionGroup");
}

const ACTIONS: Record<string, ActionKind> = {
  start: "start",
  deallocate: "deallocate",
  poweroff: "powerOff",
  restart: "restart",
  simulateeviction: "simulateEviction",
};

export function parseArmRoute(method: string, path: string): Route {
  let segs: string[];
  try {
    segs = path.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return { op: "unknown" };
  }
  const low = segs.map((s) => s.toLowerCase());
  if (low[0] !== "subscriptions" || !segs[1]) return { op: "unknown" };
  const sub = segs[1];
  const isGet = method === "GET";
  const want = (route: Route, needGet: boolean): Route => (needGet === isGet ? route : { op: "unknown", sub, badMethod: true });
  const computeAt = (i: number) => low[i] === "providers" && low[i + 1] === "microsoft.compute";
  const resources = parseResourcesRoute(method, segs, low);
  if (resources) return resources;
  if (low.length === 7 && low[2] === "providers" && low[3] === "microsoft.insights" && low[4] === "eventtypes" && low[5] === "management" && low[6] === "values") {
    return want({ op: "activityLog", sub }, true);
  }
  // Microsoft.AlertsManagement alert instances (scope = the subscription, as in essentials.alertId)
  if (low.length === 6 && low[2] === "providers" && low[3] === "microsoft.alertsmanagement" && low[4] === "alerts") return want({ op: "alertGet", sub }, true);
  const insightsAt = (i: number) => low[i] === "providers" && low[i + 1] === "microsoft.insights";
  if (low.length === 5 && insightsAt(2) && low[4] === "metricalerts") return want({ op: "metricAlertList", sub }, true);
  if (low.length === 5 && insightsAt(2) && low[4] === "autoscalesettings") return want({ op: "autoscaleList", sub }, true);
  if (low[2] === "resourcegroups" && segs[3] && insightsAt(4) && low[6] === "autoscalesettings") {
    if (low.length === 7) return want({ op: "autoscaleList", sub, rg: segs[3] }, true);
    if (low.length === 8) {
      const op = AUTOSCALE_BY_METHOD[method];
      return op ? { op, sub, rg: segs[3], name: segs[7] } : { op: "unknown", sub, badMethod: true };
    }
    return { op: "unknown", sub };
  }
  if (low[2] === "resourcegroups" && segs[3] && insightsAt(4) && INSIGHTS_BY_METHOD[low[6] ?? ""]) {
    const rg = segs[3];
    if (low.length === 7 && low[6] === "metricalerts") return want({ op: "metricAlertList", sub, rg }, true);
    if (low.length === 8) {
      const op = INSIGHTS_BY_METHOD[low[6]!]![method];
      return op ? { op, sub, rg, name: segs[7] } : { op: "unknown", sub, badMethod: true };
    }
  }
  if (low.length === 10 && low[2] === "resourcegroups" && low[4] === "providers" && low[5] === "microsoft.web" && low[6] === "sites" && low[8] === "extensions" && low[9] === "onedeploy") {
    if (method === "PUT") return { op: "oneDeployPut", sub, rg: segs[3]!, site: segs[7]! };
    if (method === "GET") return { op: "oneDeployGet", sub, rg: segs[3]!, site: segs[7]! };
    return { op: "unknown", sub, badMethod: true };
  }
  if (computeAt(2)) {
    if (low.length === 5 && low[4] === "virtualmachines") return want({ op: "list", sub }, true);
    if (low.length === 5 && low[4] === "virtualmachinescalesets") return want({ op: "scaleSetList", sub }, true);
    if (low.length === 8 && low[4] === "locations" && low[6] === "operations") {
      return want({ op: "operationStatus", sub, region: segs[5], opId: segs[7] }, true);
    }
    return { op: "unknown", sub };
  }
  if (low[2] === "resourcegroups" && segs[3] && computeAt(4) && low[6] === "virtualmachinescalesets") {
    const rg = segs[3];
    const set = segs[7];
    if (low.length === 7) return want({ op: "scaleSetList", sub, rg }, true);
    if (low.length === 8) return want({ op: "scaleSetGet", sub, rg, set }, true);
    if (low.length === 9 && SCALE_SET_ACTIONS[low[8]]) return want({ op: SCALE_SET_ACTIONS[low[8]], sub, rg, set }, false);
    if (low.length === 9 && low[8] === "virtualmachines") return want({ op: "scaleSetInstanceList", sub, rg, set }, true);
    if (low.length === 10 && low[8] === "virtualmachines") return want({ op: "scaleSetInstanceGet", sub, rg, set, instanceId: segs[9] }, true);
    if (low.length === 11 && low[8] === "virtualmachines" && low[10] === "instanceview") {
      return want({ op: "scaleSetInstanceView", sub, rg, set, instanceId: segs[9] }, true);
    }
    return { op: "unknown", sub };
  }
  if (low[2] === "resourcegroups" && segs[3] && computeAt(4) && low[6] === "virtualmachines") {
    const rg = segs[3];
    if (low.length === 7) return want({ op: "list", sub, rg }, true);
    if (low.length === 8) return want({ op: "get", sub, rg, vm: segs[7] }, true);
    if (low.length === 9 && low[8] === "instanceview") return want({ op: "instanceView", sub, rg, vm: segs[7] }, true);
    if (low.length === 9 && ACTIONS[low[8]]) return want({ op: ACTIONS[low[8]], sub, rg, vm: segs[7] }, false);
    if (low.length === 12 && low[8] === "providers" && low[9] === "microsoft.resourcehealth" && low[10] === "availabilitystatuses" && low[11] === "current") {
      return want({ op: "availabilityStatus", sub, rg, vm: segs[7] }, true);
    }
  }
  return { op: "unknown", sub };
}

