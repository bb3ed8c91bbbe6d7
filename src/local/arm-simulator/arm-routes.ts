/**
 * ARM request pipeline, in the order Azure applies it:
 *   1. authentication (401), then RBAC (403, rbac.ts)   4. fault rules (may answer or mark the operation to fail)
 *   2. ARM read/write buckets (429)     5. Compute RP buckets (429)
 *   3. resource lookup (404)            6. the operation itself
 * Faults come before Compute buckets so an injected error never costs Compute tokens;
 * an ARM-throttled request consumes no Compute tokens either. Every request is logged.
 */
import type { ArmSimulator, SubscriptionEntry } from "./simulator";
import type { BucketCheck, BucketName } from "./buckets";
import type { FaultOperation } from "./faults";
import type { SimResponse } from "./http-util";
import { armErrorBody } from "./errors";
import { instanceView, operationJson, vmJson } from "./arm-json";
import { availabilityStatusJson, eventDataJson, parseActivityFilter } from "./activity-log";
import { operationStatus, powerStateOf, type Operation, type OperationError, type SimVm } from "./operations";
import { bearerToken, principalOf } from "./principal";
import { isAutoscaleRoute, isInsightsRoute, isScaleSetRoute, isWebRoute, parseArmRoute, type Route } from "./route-table";
import { serveInsights } from "./insights-routes";
import { authorizationFailedBody, requiredAction } from "./rbac";
import { isResourcesRoute } from "./resource-routes";
import { serveResources } from "./resource-tags";
import { asyncOperationHeaders, faultResponse, isTrue, nextLink, page, skipOf, takeComputeTokens, type ArmRequest, type ArmRouteOptions, type LogFields } from "./pipeline";
import { serveScaleSetOperationStatus, serveScaleSets } from "./scale-set-routes";

export type { ArmRequest, ArmRouteOptions } from "./pipeline";

export function handleArmRequest(sim: ArmSimulator, req: ArmRequest, options: ArmRouteOptions = {}): SimResponse {
  const route = withHibernate(parseArmRoute(req.method, req.path), req.query);
  const fields: LogFields = {
    principal: null,
    subscriptionId: route.sub ?? null,
    region: null,
    vmId: null,
    scaleSetId: null,
    instanceIds: null,
    operation: route.op === "unknown" ? null : route.op,
    throttledBy: null,
    faultId: null,
  };
  let response: SimResponse;
  try {
    response = serve(sim, req, route, fields, options);
  } catch (err) {
    response = { status: 500, body: armErrorBody("InternalServerError", `Simulator error: ${(err as Error).message}`) };
  }
  sim.log.append({
    time: new Date(sim.now()).toISOString(),
    method: req.method,
    path: req.path,
    query: req.query,
    status: response.status,
    ...fields,
  });
  return response;
}

function serve(sim: ArmSimulator, req: ArmRequest, route: Route, fields: LogFields, options: ArmRouteOptions): SimResponse {
  // 1. authentication
  const token = bearerToken(req.authorization);
  if (!token) {
    return {
      status: 401,
      headers: { "www-authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/common"' },
      body: armErrorBody("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or is not a Bearer token."),
    };
  }
  fields.principal = principalOf(token);
  const headers: Record<string, string> = {};

  // 1b. authorization (403), before throttling and lookup: ARM refuses a scope it cannot confirm access to
  const need = requiredAction(req.method, req.path);
  if (need && route.op !== "alertGet" && !sim.rbac.allows(fields.principal, need)) {
    return { status: 403, headers, body: authorizationFailedBody(fields.principal, need) };
  }

  // 2. ARM buckets (per subscription + principal)
  const isRead = req.method === "GET";
  const armBucket: BucketName = isRead ? "armReads" : "armWrites";
  const armHeader = `x-ms-ratelimit-remaining-subscription-${isRead ? "reads" : "writes"}`;
  const subKey = (route.sub ?? "").toLowerCase();
  const arm = sim.throttler.take([{ bucket: armBucket, key: `${subKey}|${fields.principal}` }], sim.now());
  headers[armHeader] = String(arm.remaining[0]);
  if (!arm.ok) {
    fields.throttledBy = arm.throttledBy;
    const seconds = sim.clock.toRealSeconds(arm.retryAfterMs);
    headers["retry-after"] = String(seconds);
    return {
      status: 429,
      headers,
      body: armErrorBody(
        "SubscriptionRequestsThrottled",
        `Number of '${isRead ? "read" : "write"}' requests for subscription '${route.sub}' actor '${fields.principal}' exceeded. Please try again after '${seconds}' seconds.`,
      ),
    };
  }

  // 3. resource lookup
  if (route.op === "unknown") {
    if (route.badMethod) {
      return { status: 405, headers, body: armErrorBody("MethodNotAllowed", `The requested resource does not support http method '${req.method}'.`) };
    }
    return {
      status: 404,
      headers,
      body: armErrorBody("InvalidResourceType", `The resource type could not be found for path '${req.path}' (not simulated).`),
    };
  }
  const sub = sim.subscription(route.sub);
  if (!sub) return { status: 404, headers, body: armErrorBody("SubscriptionNotFound", `The subscription '${route.sub}' could not be found.`) };
  fields.subscriptionId = sub.subscriptionId;
  if (isScaleSetRoute(route)) return serveScaleSets(sim, req, route, sub, fields, headers, options);

  let vm: SimVm | undefined;
  let op: Operation | undefined;
  let rgVms: SimVm[] | undefined;
  if (route.op === "operationStatus") {
    op = sim.operation(route.opId);
    fields.region = route.region;
    const setOp = op ? undefined : sim.scaleSetOperation(route.opId);
    if (setOp && setOp.set.subscriptionId.toLowerCase() === sub.subscriptionId.toLowerCase()) {
      return serveScaleSetOperationStatus(sim, req, route, setOp, fields, headers, options);
    }
    if (!op || op.vm.subscriptionId.toLowerCase() !== sub.subscriptionId.toLowerCase()) {
      return { status: 404, headers, body: armErrorBody("NotFound", `The operation '${route.opId}' was not found.`) };
    }
    vm = op.vm;
    fields.vmId = vm.id;
  } else if ("rg" in route && route.rg !== undefined) {
    const rg = sub.resourceGroups.get(route.rg.toLowerCase());
    if (!rg) return { status: 404, headers, body: armErrorBody("ResourceGroupNotFound", `Resource group '${route.rg}' could not be found.`) };
    rgVms = rg.vms;
    if ("vm" in route) {
      vm = sim.vmById(`/subscriptions/${sub.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.Compute/virtualMachines/${route.vm}`);
      if (!vm) {
        return {
          status: 404,
          headers,
          body: armErrorBody(
            "ResourceNotFound",
            `The Resource 'Microsoft.Compute/virtualMachines/${route.vm}' under resource group '${route.rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
          ),
        };
      }
      fields.vmId = vm.id;
      fields.region = vm.location;
    }
  }

  // 4. faults
  const operation = route.op as FaultOperation;
  const firstAttempt = vm ? sim.countAttempt(vm, operation) : sim.countScopeAttempt(`${sub.subscriptionId}|${"rg" in route ? (route.rg ?? "") : ""}`, operation);
  const fault = sim.faults.pick(
    {
      operation,
      subscriptionId: sub.subscriptionId,
      region: fields.region ?? undefined,
      vmId: vm?.id,
      name: vm?.name,
      osType: vm?.osType,
      firstAttempt,
    },
    sim.now(),
    sim.faultRng(),
  );
  let fails: OperationError | undefined;
  if (fault) {
    fields.faultId = fault.id;
    if (fault.effect.type === "http") return faultResponse(sim, fault, headers);
    fails = { code: fault.effect.code ?? "InternalExecutionError", message: fault.effect.message ?? "An internal execution error occurred. Please retry later." };
  }

  // 5. Compute buckets
  const throttled = takeComputeTokens(sim, computeChecks(route, sub, vm), headers, fields);
  if (throttled) return throttled;

  // 6. the operation
  if (isInsightsRoute(route)) return serveInsights(sim, route, req.body ?? "", headers);
  if (isAutoscaleRoute(route)) {
    return sim.autoscale.serve(route, req.body ?? "", headers, (all, toJson) => page(req, all, skipOf(new URLSearchParams(req.query)), sim.pageSize, toJson));
  }
  if (route.op === "alertGet") {
    return sim.alertsManagement.serve(req.path, new URLSearchParams(req.query), (action, scope) => sim.rbac.allows(fields.principal ?? "", { action, scope }), fields.principal ?? "unknown", headers);
  }
  if (isWebRoute(route)) return sim.webSites.serve(route, req.body ?? "", sim.now(), fields.principal ?? "unknown", headers);
  const now = sim.now();
  const query = new URLSearchParams(req.query);
  if (isResourcesRoute(route)) {
    const skip = skipOf(query);
    return serveResources(sim, route, req.body ?? "", sim.pageSize, headers, skip, (next) => nextLink(req, next));
  }
  switch (route.op) {
    case "list": {
      const all = rgVms ?? sub.vms;
      const withView = isTrue(query.get("statusOnly")) || (query.get("$expand") ?? "").toLowerCase() === "instanceview";
      return { status: 200, headers, body: page(req, all, skipOf(query), sim.pageSize, (v) => vmJson(v, now, withView)) };
    }
    case "get":
      return { status: 200, headers, body: vmJson(vm!, now, (query.get("$expand") ?? "").toLowerCase() === "instanceview") };
    case "instanceView":
      return { status: 200, headers, body: instanceView(vm!, now) };
    case "operationStatus": {
      const monitor = isTrue(query.get("monitor"));
      const done = operationStatus(op!, now) !== "InProgress";
      if (monitor && !done) {
        Object.assign(headers, vmOperationHeaders(sim, req, op!, options));
        return { status: 202, headers };
      }
      return { status: 200, headers, body: operationJson(op!, now) };
    }
    case "activityLog": {
      const filter = parseActivityFilter(query.get("$filter"));
      if ("error" in filter) return { status: 400, headers, body: armErrorBody("BadRequest", filter.error) };
      const all = sim.activity.query(sub.subscriptionId, filter, now);
      const skip = skipOf(query);
      return { status: 200, headers, body: page(req, all.map((e, i) => ({ e, i })), skip, sim.pageSize, ({ e, i }) => eventDataJson(e, i)) };
    }
    case "availabilityStatus":
      return { status: 200, headers, body: availabilityStatusJson(vm!, powerStateOf(vm!, now), sim.activity.latestFor(vm!, now), now) };
    default: {
      const outcome = sim.act(vm!, route.op, fails, fields.principal ?? "unknown");
      if (outcome.kind === "conflict") return { status: 409, headers, body: armErrorBody("Conflict", outcome.message) };
      if (outcome.kind === "notAllowed") return { status: 409, headers, body: armErrorBody("OperationNotAllowed", outcome.message) };
      if (route.op === "simulateEviction") return { status: 204, headers };
      Object.assign(headers, vmOperationHeaders(sim, req, outcome.op, options));
      return { status: 202, headers };
    }
  }
}

function computeChecks(route: Route, sub: SubscriptionEntry, vm: SimVm | undefined): BucketCheck[] {
  const s = sub.subscriptionId.toLowerCase();
  const regional = (region: string) => `${s}|${region.toLowerCase()}`;
  switch (route.op) {
    case "list":
      return [{ bucket: "computeHighCostGet", key: s }];
    case "get":
    case "instanceView":
      return [
        { bucket: "computeLowCostGet", key: regional(vm!.location) },
        { bucket: "vmLowCostGet", key: vm!.key },
      ];
    case "start":
    case "powerOff":
    case "restart":
      return [
        { bucket: "computeUpdateVm", key: regional(vm!.location) },
        { bucket: "vmUpdateVm", key: vm!.key },
      ];
    case "deallocate":
    case "hibernate":
    case "simulateEviction":
      return [
        { bucket: "computeDeleteVm", key: regional(vm!.location) },
        { bucket: "vmDeleteVm", key: vm!.key },
      ];
    case "operationStatus":
      return [
        { bucket: "computeGetOperation", key: regional(route.region) },
        { bucket: "vmGetOperation", key: vm!.key },
      ];
    default:
      return [];
  }
}

/**
 * `POST …/deallocate?hibernate=true` is the hibernate (Compute spec, VirtualMachines_Deallocate and
 * VirtualMachineScaleSets_Deallocate): its own kind here.
 */
function withHibernate(route: Route, query: string): Route {
  if (route.op !== "deallocate" && route.op !== "scaleSetDeallocate") return route;
  if (!isTrue(new URLSearchParams(query).get("hibernate"))) return route;
  return route.op === "deallocate" ? { ...route, op: "hibernate" } : { ...route, op: "scaleSetHibernate" };
}

function vmOperationHeaders(sim: ArmSimulator, req: ArmRequest, op: Operation, options: ArmRouteOptions): Record<string, string> {
  return asyncOperationHeaders(sim, req, { subscriptionId: op.vm.subscriptionId, location: op.vm.location, id: op.id, endTime: op.endTime }, options);
}
