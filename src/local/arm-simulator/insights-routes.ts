/**
 * The Microsoft.Insights routes of the ARM pipeline (after authentication, RBAC, ARM buckets and faults): metric alerts
 * (PUT, GET, DELETE, list by resource group and by subscription) and action groups (PUT, GET), with the shapes,
 * status codes and validation errors of the 2018-03-01 and 2021-09-01 specs.
 */
import type { SimResponse } from "./http-util";
import { armErrorBody } from "./errors";
import { AGGREGATIONS, FREQUENCIES, OPERATORS, WINDOWS, durationMs, type StoredResource } from "./insights-model";
import type { ArmSimulator } from "./simulator";
import type { InsightsRoute } from "./route-table";

const ALERT_TYPE = "Microsoft.Insights/metricAlerts";
const GROUP_TYPE = "Microsoft.Insights/actionGroups";

export function serveInsights(sim: ArmSimulator, route: InsightsRoute, rawBody: string, headers: Record<string, string>): SimResponse {
  const insights = sim.insights;
  const now = sim.now();
  switch (route.op) {
    case "metricAlertList": {
      const prefix = `/subscriptions/${route.sub}/${route.rg ? `resourcegroups/${route.rg}/` : ""}`.toLowerCase();
      const value = [...insights.alerts.values()].filter((a) => a.id.toLowerCase().startsWith(prefix)).map((a) => alertJson(a));
      return { status: 200, headers, body: { value } };
    }
    case "metricAlertGet": {
      const found = insights.alerts.get(alertId(route).toLowerCase());
      return found ? { status: 200, headers, body: alertJson(found) } : notFound(headers, ALERT_TYPE, route.name!, route.rg);
    }
    case "metricAlertDelete":
      return { status: insights.deleteAlert(alertId(route)) ? 200 : 204, headers };
    case "actionGroupGet": {
      const found = insights.actionGroups.get(groupId(route).toLowerCase());
      return found ? { status: 200, headers, body: resourceJson(found, GROUP_TYPE) } : notFound(headers, GROUP_TYPE, route.name!, route.rg);
    }
    case "metricAlertPut":
    case "actionGroupPut": {
      let body: { location?: unknown; tags?: unknown; properties?: Record<string, unknown> };
      try {
        body = JSON.parse(rawBody || "{}");
      } catch {
        return bad(headers, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
      }
      if (route.op === "actionGroupPut") return putActionGroup(sim, route, body, headers);
      const problem = alertProblem(sim, body);
      if (problem) return { status: problem.status, headers, body: armErrorBody(problem.code, problem.message) };
      const resource: StoredResource = {
        id: alertId(route), name: route.name!, subscriptionId: route.sub, resourceGroup: route.rg!, location: "global",
        tags: (body.tags as Record<string, string>) ?? {}, properties: { ...body.properties!, lastUpdatedTime: new Date(now).toISOString(), isMigrated: false },
      };
      insights.putAlert(resource, now);
      return { status: 200, headers, body: alertJson(resource) };
    }
  }
}

function putActionGroup(sim: ArmSimulator, route: InsightsRoute, body: { location?: unknown; tags?: unknown; properties?: Record<string, unknown> }, headers: Record<string, string>): SimResponse {
  const p = body.properties;
  if (!p) return bad(headers, "BadRequest", "The request body must contain 'properties'.");
  if (typeof p.groupShortName !== "string" || p.groupShortName.length === 0 || p.groupShortName.length > 12) {
    return bad(headers, "BadRequest", "Property 'groupShortName' is required and must be 1-12 characters.");
  }
  const receivers = (p.webhookReceivers as Array<Record<string, unknown>> | undefined) ?? [];
  for (const r of receivers) {
    if (typeof r.name !== "string" || typeof r.serviceUri !== "string") return bad(headers, "BadRequest", "Each webhook receiver needs 'name' and 'serviceUri'.");
  }
  const id = groupId(route);
  const created = !sim.insights.actionGroups.has(id.toLowerCase());
  const resource: StoredResource = {
    id, name: route.name!, subscriptionId: route.sub, resourceGroup: route.rg!, location: String(body.location ?? "Global"),
    tags: (body.tags as Record<string, string>) ?? {}, properties: { ...p, enabled: p.enabled !== false },
  };
  sim.insights.actionGroups.set(id.toLowerCase(), resource);
  return { status: created ? 201 : 200, headers, body: resourceJson(resource, GROUP_TYPE) };
}

/** What Insights refuses in a metric alert PUT, as it answers: a 400 naming the property (404 for a missing target). */
function alertProblem(sim: ArmSimulator, body: { location?: unknown; properties?: Record<string, unknown> }): { status: number; code: string; message: string } | undefined {
  const p = body.properties;
  const bad = (message: string) => ({ status: 400, code: "BadRequest", message });
  if (String(body.location ?? "").toLowerCase() !== "global") return bad("Metric alert rules must have location 'global'.");
  if (!p) return bad("The request body must contain 'properties'.");
  for (const required of ["severity", "enabled", "scopes", "evaluationFrequency", "windowSize", "criteria"]) {
    if (p[required] === undefined || p[required] === null) return bad(`Property '${required}' is required.`);
  }
  if (!Number.isInteger(p.severity) || (p.severity as number) < 0 || (p.severity as number) > 4) return bad("Property 'severity' must be an integer from 0 to 4.");
  const frequency = String(p.evaluationFrequency).toUpperCase();
  const window = String(p.windowSize).toUpperCase();
  if (!FREQUENCIES.includes(frequency)) return bad(`Invalid value '${p.evaluationFrequency}' for 'evaluationFrequency'; allowed: ${FREQUENCIES.join(", ")}.`);
  if (!WINDOWS.includes(window)) return bad(`Invalid value '${p.windowSize}' for 'windowSize'; allowed: ${WINDOWS.join(", ")}.`);
  if (durationMs(window) < durationMs(frequency)) return bad("'windowSize' must be greater than or equal to 'evaluationFrequency'.");
  const scopes = p.scopes as unknown[];
  if (!Array.isArray(scopes) || scopes.length !== 1 || typeof scopes[0] !== "string") return bad("A single-resource metric alert needs exactly one id in 'scopes'.");
  if (!sim.vmById(String(scopes[0]).replace(/\/+$/, ""))) {
    return { status: 404, code: "ResourceNotFound", message: `The target resource '${scopes[0]}' of the metric alert was not found.` };
  }
  const criteria = p.criteria as { "odata.type"?: string; allOf?: Array<Record<string, unknown>> };
  if (criteria["odata.type"] !== "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria") {
    return bad("Property 'criteria.odata.type' must be 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria' for a single resource.");
  }
  if (!Array.isArray(criteria.allOf) || criteria.allOf.length === 0) return bad("Property 'criteria.allOf' needs at least one criterion.");
  for (const c of criteria.allOf) {
    if (typeof c.metricName !== "string" || !c.metricName) return bad("Each criterion needs 'metricName'.");
    if (!OPERATORS.some((o) => o.toLowerCase() === String(c.operator).toLowerCase())) return bad(`Invalid 'operator' '${c.operator}'; allowed: ${OPERATORS.join(", ")}.`);
    if (!AGGREGATIONS.some((a) => a.toLowerCase() === String(c.timeAggregation).toLowerCase())) return bad(`Invalid 'timeAggregation' '${c.timeAggregation}'; allowed: ${AGGREGATIONS.join(", ")}.`);
    if (typeof c.threshold !== "number") return bad("Each static criterion needs a numeric 'threshold'.");
  }
  for (const action of (p.actions as Array<{ actionGroupId?: string }> | undefined) ?? []) {
    if (!action.actionGroupId || !sim.insights.actionGroups.has(action.actionGroupId.toLowerCase())) {
      return bad(`The action group '${action.actionGroupId}' was not found.`);
    }
  }
  return undefined;
}

function alertId(route: InsightsRoute): string {
  return `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/${ALERT_TYPE}/${route.name}`;
}

function groupId(route: InsightsRoute): string {
  return `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/${GROUP_TYPE}/${route.name}`;
}

function alertJson(a: StoredResource): unknown {
  return resourceJson(a, ALERT_TYPE);
}

function resourceJson(r: StoredResource, type: string): unknown {
  return { id: r.id, name: r.name, type, location: r.location, tags: r.tags, properties: r.properties };
}

function notFound(headers: Record<string, string>, type: string, name: string, rg?: string): SimResponse {
  return {
    status: 404,
    headers,
    body: armErrorBody("ResourceNotFound", `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  };
}

function bad(headers: Record<string, string>, code: string, message: string): SimResponse {
  return { status: 400, headers, body: armErrorBody(code, message) };
}
