/**
 * Azure RBAC as ARM applies it to the simulated routes: each request needs one action at one scope; a role
 * assignment grants actions at a scope and everything under it (subscription → resource group → resource).
 * A principal with no assignment at all may do everything, so worlds that do not model RBAC keep working.
 */
import { armErrorBody } from "./errors";
import { isAutoscaleRoute, isScaleSetRoute, parseArmRoute, type AutoscaleRoute, type ScaleSetRoute } from "./route-table";
import { isResourcesRoute, resourcesAction } from "./resource-routes";

export interface RoleAssignmentInput {
  principal: string;
  /** `/subscriptions/<id>`, `/subscriptions/<id>/resourceGroups/<rg>` or a resource id. */
  scope: string;
  /** Actions as in a role definition; `*` matches any run of characters (e.g. `Microsoft.Compute/virtualMachines/*`). */
  actions: string[];
}

export interface RequiredAction {
  action: string;
  /** The scope ARM names in its error: the resource (or collection parent) the request addresses. */
  scope: string;
}

const VM = "Microsoft.Compute/virtualMachines";
const VM_ACTIONS: Record<string, string> = {
  get: `${VM}/read`,
  instanceView: `${VM}/instanceView/read`,
  start: `${VM}/start/action`,
  deallocate: `${VM}/deallocate/action`,
  powerOff: `${VM}/powerOff/action`,
  restart: `${VM}/restart/action`,
  simulateEviction: `${VM}/simulateEviction/action`,
};

const VMSS = "Microsoft.Compute/virtualMachineScaleSets";

/** Scale-set routes: the set's own actions, its instances' reads (names from the Microsoft.Compute operations list). */
function scaleSetAction(route: ScaleSetRoute): RequiredAction {
  const sub = `/subscriptions/${route.sub}`;
  const rgScope = `${sub}/resourceGroups/${route.rg}`;
  const setScope = `${rgScope}/providers/${VMSS}/${route.set}`;
  switch (route.op) {
    case "scaleSetList":
      return { action: `${VMSS}/read`, scope: route.rg ? rgScope : sub };
    case "scaleSetGet":
      return { action: `${VMSS}/read`, scope: setScope };
    case "scaleSetStart":
      return { action: `${VMSS}/start/action`, scope: setScope };
    case "scaleSetDeallocate":
    case "scaleSetHibernate":
      return { action: `${VMSS}/deallocate/action`, scope: setScope };
    case "scaleSetPowerOff":
      return { action: `${VMSS}/powerOff/action`, scope: setScope };
    case "scaleSetInstanceList":
      return { action: `${VMSS}/virtualMachines/read`, scope: setScope };
    case "scaleSetInstanceGet":
      return { action: `${VMSS}/virtualMachines/read`, scope: `${setScope}/virtualMachines/${route.instanceId}` };
    case "scaleSetInstanceView":
      return { action: `${VMSS}/virtualMachines/instanceView/read`, scope: `${setScope}/virtualMachines/${route.instanceId}` };
  }
}

/** Autoscale settings: read (get, lists at their scope), write (PUT, PATCH), delete. */
function autoscaleAction(route: AutoscaleRoute): RequiredAction {
  const sub = `/subscriptions/${route.sub}`;
  const verb = route.op === "autoscaleList" || route.op === "autoscaleGet" ? "read" : route.op === "autoscaleDelete" ? "delete" : "write";
  const scope = route.op === "autoscaleList" ? (route.rg ? `${sub}/resourceGroups/${route.rg}` : sub) : `${sub}/resourceGroups/${route.rg}/providers/Microsoft.Insights/autoscalesettings/${route.name}`;
  return { action: `Microsoft.Insights/autoscalesettings/${verb}`, scope };
}

const INSIGHTS_VERBS: Record<string, string> = {
  metricAlertGet: "read", metricAlertPut: "write", metricAlertDelete: "delete", actionGroupGet: "read", actionGroupPut: "write",
};

/** The RBAC action (and scope) each simulated route needs; undefined for paths the simulator does not serve. */
export function requiredAction(method: string, path: string): RequiredAction | undefined {
  const route = parseArmRoute(method.toUpperCase(), path);
  const sub = `/subscriptions/${route.sub}`;
  if (isResourcesRoute(route)) return resourcesAction(route);
  if (isScaleSetRoute(route)) return scaleSetAction(route);
  if (isAutoscaleRoute(route)) return autoscaleAction(route);
  switch (route.op) {
    case "unknown":
      return undefined;
    // ARM checks this one on the alert's target resource, which only alerts-management.ts knows (it checks there).
    case "alertGet":
      return { action: "Microsoft.AlertsManagement/alerts/read", scope: sub };
    // A list needs read on the scope it lists (ARM answers 403, it does not filter by per-VM access).
    case "list":
      return { action: `${VM}/read`, scope: route.rg ? `${sub}/resourceGroups/${route.rg}` : sub };
    case "activityLog":
      return { action: "Microsoft.Insights/eventtypes/values/read", scope: sub };
    case "availabilityStatus":
      return { action: "Microsoft.ResourceHealth/availabilityStatuses/read", scope: `${sub}/resourceGroups/${route.rg}/providers/${VM}/${route.vm}` };
    case "metricAlertList":
      return { action: "Microsoft.Insights/metricAlerts/read", scope: route.rg ? `${sub}/resourceGroups/${route.rg}` : sub };
    case "metricAlertGet":
    case "metricAlertPut":
    case "metricAlertDelete":
      return { action: `Microsoft.Insights/metricAlerts/${INSIGHTS_VERBS[route.op]}`, scope: `${sub}/resourceGroups/${route.rg}/providers/Microsoft.Insights/metricAlerts/${route.name}` };
    case "actionGroupGet":
    case "actionGroupPut":
      return { action: `Microsoft.Insights/actionGroups/${INSIGHTS_VERBS[route.op]}`, scope: `${sub}/resourceGroups/${route.rg}/providers/Microsoft.Insights/actionGroups/${route.name}` };
    case "oneDeployPut":
    case "oneDeployGet":
      return { action: `Microsoft.Web/sites/extensions/${route.op === "oneDeployPut" ? "write" : "read"}`, scope: `${sub}/resourceGroups/${route.rg}/providers/Microsoft.Web/sites/${route.site}` };
    case "operationStatus":
      return { action: "Microsoft.Compute/locations/operations/read", scope: `${sub}/providers/Microsoft.Compute/locations/${route.region}/operations/${route.opId}` };
    default:
      return { action: VM_ACTIONS[route.op]!, scope: `${sub}/resourceGroups/${route.rg}/providers/${VM}/${route.vm}` };
  }
}

/** ARM's 403 body, word for word. */
export function authorizationFailedBody(principal: string, need: RequiredAction): unknown {
  return armErrorBody(
    "AuthorizationFailed",
    `The client '${principal}' with object id '${principal}' does not have authorization to perform action '${need.action}' over scope '${need.scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

function normalizeScope(scope: string): string {
  return `/${scope.split("/").filter(Boolean).join("/")}`.toLowerCase();
}

function coversScope(assigned: string, requested: string): boolean {
  const a = normalizeScope(assigned);
  const r = normalizeScope(requested);
  return r === a || r.startsWith(`${a}/`);
}

function matchesAction(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");
  return re.test(action);
}

export class RbacBook {
  private assignments: RoleAssignmentInput[] = [];
  private readonly seen = new Set<string>();

  assign(input: RoleAssignmentInput): RoleAssignmentInput {
    const { principal, scope, actions } = input ?? ({} as RoleAssignmentInput);
    if (typeof principal !== "string" || !principal) throw new Error("principal must be a non-empty string");
    if (typeof scope !== "string" || !/^\/subscriptions\/[^/]+/i.test(scope)) throw new Error('scope must start with "/subscriptions/<id>"');
    if (!Array.isArray(actions) || actions.some((a) => typeof a !== "string" || !a)) throw new Error("actions must be an array of non-empty strings");
    const assignment = { principal, scope, actions: [...actions] };
    this.assignments.push(assignment);
    return assignment;
  }

  list(): RoleAssignmentInput[] {
    return this.assignments.map((a) => ({ ...a, actions: [...a.actions] }));
  }

  /** Removes one principal's assignments, or all of them. */
  remove(principal?: string): void {
    this.assignments = principal === undefined ? [] : this.assignments.filter((a) => a.principal !== principal);
  }

  /** Principals that have called the simulator since the last reset (so tests can learn the app's). */
  principals(): string[] {
    return [...this.seen];
  }

  reset(): void {
    this.assignments = [];
    this.seen.clear();
  }

  allows(principal: string, need: RequiredAction): boolean {
    this.seen.add(principal);
    const own = this.assignments.filter((a) => a.principal === principal);
    if (own.length === 0) return true;
    return own.some((a) => coversScope(a.scope, need.scope) && a.actions.some((p) => matchesAction(p, need.action)));
  }
}
