/**
 * Microsoft.AlertsManagement/alerts in the simulator: one alert instance per firing of a metric alert rule (Fired →
 * Resolved), as Azure Monitor keeps them, readable with Alerts_GetById (api-version 2019-03-01):
 *
 *   GET /{scope}/providers/Microsoft.AlertsManagement/alerts/{alertId}?api-version=2019-03-01
 *
 * where the common alert schema's `essentials.alertId` is that full path with the subscription as scope. The answer
 * has the spec's shape: `properties.essentials` with monitorCondition, alertState, alertRule (the rule's resource id),
 * targetResource, startDateTime, monitorConditionResolvedDateTime. RBAC: Microsoft.AlertsManagement/alerts/read on the
 * alert's target resource (an inference: a principal sees the alerts of the resources it can read).
 */
import { armErrorBody } from "./errors";
import type { SimResponse } from "./http-util";

export const ALERTS_API_VERSIONS = new Set(["2019-03-01", "2019-05-05-preview", "2018-05-05"]);
export const ALERT_READ_ACTION = "Microsoft.AlertsManagement/alerts/read";

export interface AlertInstance {
  /** `/subscriptions/<s>/providers/Microsoft.AlertsManagement/alerts/<guid>` as in essentials.alertId. */
  id: string;
  name: string;
  ruleId: string;
  targetResource: string;
  severity: string;
  monitorCondition: "Fired" | "Resolved";
  alertState: "New" | "Acknowledged" | "Closed";
  startedAt: number;
  resolvedAt?: number;
}

export class AlertsManagement {
  private readonly instances = new Map<string, AlertInstance>();

  /** A firing of `ruleId` (idempotent per instance id). */
  fired(instance: Omit<AlertInstance, "monitorCondition" | "alertState">): AlertInstance {
    const key = instance.id.toLowerCase();
    const existing = this.instances.get(key);
    if (existing) return existing;
    const created: AlertInstance = { ...instance, monitorCondition: "Fired", alertState: "New" };
    this.instances.set(key, created);
    return created;
  }

  resolved(id: string, at: number): void {
    const found = this.instances.get(id.toLowerCase());
    if (found && found.monitorCondition === "Fired") Object.assign(found, { monitorCondition: "Resolved", resolvedAt: at });
  }

  get(id: string): AlertInstance | undefined {
    return this.instances.get(id.toLowerCase());
  }

  list(): AlertInstance[] {
    return [...this.instances.values()];
  }

  clear(): void {
    this.instances.clear();
  }

  /** Alerts_GetById; `allowed` is the caller's RBAC on the alert's target resource. */
  serve(path: string, query: URLSearchParams, allowed: (action: string, scope: string) => boolean, principal: string, headers: Record<string, string>): SimResponse {
    const apiVersion = query.get("api-version") ?? "";
    if (!ALERTS_API_VERSIONS.has(apiVersion)) {
      return { status: 400, headers, body: armErrorBody("InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are '${[...ALERTS_API_VERSIONS].join(",")}'.`) };
    }
    const found = this.get(`/${path.split("/").filter(Boolean).join("/")}`);
    if (!found) return { status: 404, headers, body: armErrorBody("ResourceNotFound", `Alert '${path.split("/").pop()}' was not found.`) };
    if (!allowed(ALERT_READ_ACTION, found.targetResource)) {
      return {
        status: 403, headers,
        body: armErrorBody("AuthorizationFailed", `The client '${principal}' with object id '${principal}' does not have authorization to perform action '${ALERT_READ_ACTION}' over scope '${found.targetResource}' or the scope is invalid. If access was recently granted, please refresh your credentials.`),
      };
    }
    const target = found.targetResource.split("/");
    return {
      status: 200, headers,
      body: {
        properties: {
          essentials: {
            severity: found.severity, signalType: "Metric", alertState: found.alertState, monitorCondition: found.monitorCondition,
            monitorService: "Platform", targetResource: found.targetResource, targetResourceName: target[target.length - 1],
            targetResourceGroup: target[4], targetResourceType: "virtualmachines", sourceCreatedId: found.id.split("/").pop(),
            alertRule: found.ruleId, startDateTime: new Date(found.startedAt).toISOString(), lastModifiedDateTime: new Date(found.resolvedAt ?? found.startedAt).toISOString(),
            lastModifiedUserName: "System", ...(found.resolvedAt ? { monitorConditionResolvedDateTime: new Date(found.resolvedAt).toISOString() } : {}),
            actionStatus: { isSuppressed: false }, description: "",
          },
          context: {},
          egressConfig: {},
        },
        id: found.id, type: "Microsoft.AlertsManagement/alerts", name: found.name,
      },
    };
  }
}
