/**
 * The Microsoft.Compute/virtualMachineScaleSets routes of the ARM pipeline, after authentication, RBAC and the ARM
 * buckets (arm-routes.ts): lookup (404), the body of a batched action (400), faults, the scale-set Compute buckets
 * (a batched call costs one token per instance of the subscription-level policy) and the operation itself.
 * Shapes and paths: VirtualMachineScaleSets_* and VirtualMachineScaleSetVMs_* of the Compute spec
 * (docs/local-world.md "Scale sets").
 */
import type { ArmSimulator, SubscriptionEntry } from "./simulator";
import type { BucketCheck } from "./buckets";
import type { FaultOperation } from "./faults";
import type { SimResponse } from "./http-util";
import type { OperationError } from "./operations";
import type { ScaleSetActionOperation, ScaleSetRoute } from "./route-table";
import { armErrorBody } from "./errors";
import { instanceView, scaleSetInstanceJson, scaleSetJson, scaleSetOperationJson } from "./arm-json";
import { isScaleSetAction } from "./route-table";
import { firstRefusal, resolveInstances, scaleSetOperationEnd, scaleSetOperationStatus, type ScaleSetAction, type ScaleSetOperation, type SimInstance, type SimScaleSet } from "./scale-sets";
import { asyncOperationHeaders, faultResponse, isTrue, page, skipOf, takeComputeTokens, type ArmRequest, type ArmRouteOptions, type LogFields } from "./pipeline";

const SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets";

const ACTION_OF: Record<Exclude<ScaleSetActionOperation, "scaleSetHibernate">, ScaleSetAction> = {
  scaleSetStart: "start",
  scaleSetDeallocate: "deallocate",
  scaleSetPowerOff: "powerOff",
};

/** What the route addresses, once found. */
interface Target {
  set?: SimScaleSet;
  instance?: SimInstance;
  /** The sets a list answers with. */
  sets?: SimScaleSet[];
}

export function serveScaleSets(sim: ArmSimulator, req: ArmRequest, route: ScaleSetRoute, sub: SubscriptionEntry, fields: LogFields, headers: Record<string, string>, options: ArmRouteOptions): SimResponse {
  // 3. lookup
  const found = lookup(sim, route, sub, fields, headers);
  if ("status" in found) return found;
  const { set, instance } = found;

  // 3b. a batched action's body: which instances (400 for one the set does not have), and hibernate on Uniform
  let named: SimInstance[] = [];
  if (isScaleSetAction(route.op)) {
    const body = instanceIdsOf(req.body ?? "");
    if ("error" in body) return { status: 400, headers, body: armErrorBody(body.code, body.error) };
    const resolved = resolveInstances(set!, body.instanceIds);
    if ("invalid" in resolved) {
      return { status: 400, headers, body: { error: { code: "InvalidParameter", message: `The provided instanceId ${resolved.invalid} is not an active Virtual Machine Scale Set VM instanceId.`, target: "instanceIds" } } };
    }
    named = resolved.instances;
    fields.instanceIds = named.map((i) => i.instanceId);
    if (route.op === "scaleSetHibernate") {
      return {
        status: 400,
        headers,
        body: armErrorBody("OperationNotAllowed", `Hibernate is available for virtual machine scale sets with Flexible orchestration mode only; '${set!.name}' has orchestration mode '${set!.orchestrationMode}'.`),
      };
    }
  }

  // 4. faults of the request (one rule for the whole call; `operationFails` then fails every instance it names)
  const operation = route.op as FaultOperation;
  const firstAttempt = instance ? sim.countAttempt(instance, operation) : sim.countScopeAttempt(set ? set.id : `${sub.subscriptionId}|${route.rg ?? ""}`, operation);
  const fault = sim.faults.pick(
    { operation, subscriptionId: sub.subscriptionId, region: fields.region ?? undefined, vmId: instance?.id ?? set?.id, name: instance?.name ?? set?.name, osType: set?.osType, firstAttempt },
    sim.now(),
    sim.faultRng(),
  );
  let failsAll: OperationError | undefined;
  if (fault) {
    fields.faultId = fault.id;
    if (fault.effect.type === "http") return faultResponse(sim, fault, headers);
    failsAll = { code: fault.effect.code ?? "InternalExecutionError", message: fault.effect.message ?? "An internal execution error occurred. Please retry later." };
  }

  // 5. Compute buckets: refused whole (429) when a bucket holds fewer tokens than the call costs
  if (isScaleSetAction(route.op)) headers["x-ms-request-charge"] = String(Math.max(1, named.length));
  const throttled = takeComputeTokens(sim, scaleSetChecks(route, sub, set, instance, named.length), headers, fields);
  if (throttled) return throttled;

  // 6. the operation
  const now = sim.now();
  const query = new URLSearchParams(req.query);
  const withView = (query.get("$expand") ?? "").toLowerCase() === "instanceview";
  switch (route.op) {
    case "scaleSetList":
      return { status: 200, headers, body: page(req, found.sets!, skipOf(query), sim.pageSize, (s) => scaleSetJson(s, sim.scaleSetCapacity(s))) };
    case "scaleSetGet":
      return { status: 200, headers, body: scaleSetJson(set!, sim.scaleSetCapacity(set!)) };
    case "scaleSetInstanceList":
      return { status: 200, headers, body: page(req, set!.instances, skipOf(query), sim.pageSize, (i) => scaleSetInstanceJson(i, now, withView)) };
    case "scaleSetInstanceGet":
      return { status: 200, headers, body: scaleSetInstanceJson(instance!, now, withView) };
    case "scaleSetInstanceView":
      return { status: 200, headers, body: instanceView(instance!, now) };
    case "scaleSetStart":
    case "scaleSetDeallocate":
    case "scaleSetPowerOff": {
      const action = ACTION_OF[route.op];
      const refused = firstRefusal(named, action, now);
      if (refused) return { status: 409, headers, body: armErrorBody(refused.kind === "conflict" ? "Conflict" : "OperationNotAllowed", refused.message) };
      const op = sim.actOnScaleSet(set!, action, fields.instanceIds!, named, (i) => failsAll ?? instanceFault(sim, route.op as FaultOperation, sub, i));
      Object.assign(headers, setOperationHeaders(sim, req, op, options));
      return { status: 202, headers };
    }
  }
}

/** The status of a batched scale-set operation (`…/locations/{region}/operations/{id}`), charged like a VM's. */
export function serveScaleSetOperationStatus(
  sim: ArmSimulator,
  req: ArmRequest,
  route: { region: string },
  op: ScaleSetOperation,
  fields: LogFields,
  headers: Record<string, string>,
  options: ArmRouteOptions,
): SimResponse {
  fields.scaleSetId = op.set.id;
  const fault = sim.faults.pick(
    { operation: "operationStatus", subscriptionId: op.set.subscriptionId, region: route.region, vmId: op.set.id, name: op.set.name, osType: op.set.osType, firstAttempt: sim.countScopeAttempt(op.set.id, "operationStatus") },
    sim.now(),
    sim.faultRng(),
  );
  if (fault) {
    fields.faultId = fault.id;
    // An operation's status has no operation of its own to fail: only an http fault answers here.
    if (fault.effect.type === "http") return faultResponse(sim, fault, headers);
  }
  const regional = `${op.set.subscriptionId.toLowerCase()}|${route.region.toLowerCase()}`;
  const throttled = takeComputeTokens(sim, [{ bucket: "computeGetOperation", key: regional }, { bucket: "vmGetOperation", key: op.set.key }], headers, fields);
  if (throttled) return throttled;
  const now = sim.now();
  if (isTrue(new URLSearchParams(req.query).get("monitor")) && scaleSetOperationStatus(op, now) === "InProgress") {
    Object.assign(headers, setOperationHeaders(sim, req, op, options));
    return { status: 202, headers };
  }
  return { status: 200, headers, body: scaleSetOperationJson(op, now) };
}

function lookup(sim: ArmSimulator, route: ScaleSetRoute, sub: SubscriptionEntry, fields: LogFields, headers: Record<string, string>): Target | SimResponse {
  if (route.rg === undefined) return { sets: sub.scaleSets };
  const rg = sub.resourceGroups.get(route.rg.toLowerCase());
  if (!rg) return { status: 404, headers, body: armErrorBody("ResourceGroupNotFound", `Resource group '${route.rg}' could not be found.`) };
  if (route.set === undefined) return { sets: rg.scaleSets };
  const set = sim.scaleSetById(`/subscriptions/${sub.subscriptionId}/resourceGroups/${rg.name}/providers/${SET_TYPE}/${route.set}`);
  if (!set) return notFound(headers, `${SET_TYPE}/${route.set}`, route.rg);
  fields.scaleSetId = set.id;
  fields.region = set.location;
  if (set.orchestrationMode === "Flexible" && route.op !== "scaleSetGet") {
    // Our model: a Flexible set's members are VM resources, acted on and read through the VM routes.
    return {
      status: 400,
      headers,
      body: armErrorBody("OperationNotAllowed", `The scale set '${set.name}' has orchestration mode 'Flexible': its members are virtual machines; use the virtual machine operations on them (not simulated on the scale set).`),
    };
  }
  if (route.instanceId === undefined) return { set };
  const instance = set.instances.find((i) => i.instanceId === route.instanceId);
  if (!instance) return notFound(headers, `${SET_TYPE}/${route.set}/virtualMachines/${route.instanceId}`, route.rg);
  fields.instanceIds = [instance.instanceId];
  return { set, instance };
}

/**
 * The scale-set policies (docs/azure-facts.md#scale-set-throttling): start spends Update, deallocate and power off
 * spend Delete, one token per instance at subscription + region; deallocate also spends one token of the set's own
 * Delete bucket (start and power off have only the subscription-level policy).
 */
function scaleSetChecks(route: ScaleSetRoute, sub: SubscriptionEntry, set: SimScaleSet | undefined, instance: SimInstance | undefined, instances: number): BucketCheck[] {
  const s = sub.subscriptionId.toLowerCase();
  const regional = () => `${s}|${set!.location.toLowerCase()}`;
  const cost = Math.max(1, instances);
  switch (route.op) {
    case "scaleSetList":
      return [{ bucket: "scaleSetHighCostGet", key: s }];
    case "scaleSetGet":
      return [
        { bucket: "scaleSetLowCostGet", key: regional() },
        { bucket: "perScaleSetLowCostGet", key: set!.key },
      ];
    case "scaleSetInstanceList":
      return [{ bucket: "scaleSetVmGet", key: regional() }];
    case "scaleSetInstanceGet":
    case "scaleSetInstanceView":
      return [
        { bucket: "scaleSetVmGet", key: regional() },
        { bucket: "perScaleSetVmGet", key: instance!.key },
      ];
    case "scaleSetStart":
      return [{ bucket: "scaleSetUpdate", key: regional(), cost }];
    case "scaleSetDeallocate":
      return [
        { bucket: "scaleSetDelete", key: regional(), cost },
        { bucket: "perScaleSetDelete", key: set!.key },
      ];
    case "scaleSetPowerOff":
    case "scaleSetHibernate":
      return [{ bucket: "scaleSetDelete", key: regional(), cost }];
  }
}

/** An `operationFails` rule matching one instance (by its id or name `{set}_{id}`) fails that instance only. */
function instanceFault(sim: ArmSimulator, operation: FaultOperation, sub: SubscriptionEntry, instance: SimInstance): OperationError | undefined {
  const fault = sim.faults.pick(
    { operation, subscriptionId: sub.subscriptionId, region: instance.location, vmId: instance.id, name: instance.name, osType: instance.osType, firstAttempt: sim.countAttempt(instance, operation), operationFailsOnly: true },
    sim.now(),
    sim.faultRng(),
  );
  if (!fault || fault.effect.type !== "operationFails") return undefined;
  return { code: fault.effect.code ?? "InternalExecutionError", message: fault.effect.message ?? "An internal execution error occurred. Please retry later." };
}

/** `{"instanceIds": ["0", "3"]}`, or no body at all (every instance). */
function instanceIdsOf(raw: string): { instanceIds?: string[] } | { code: string; error: string } {
  if (!raw.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { code: "InvalidRequestContent", error: "The request content was invalid and could not be deserialized." };
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { code: "InvalidRequestContent", error: "The request body must be an object such as {\"instanceIds\": [\"0\"]}." };
  const ids = (body as { instanceIds?: unknown }).instanceIds;
  if (ids === undefined || ids === null) return {};
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string")) return { code: "InvalidParameter", error: "The value of parameter 'instanceIds' must be an array of instance id strings." };
  return { instanceIds: ids as string[] };
}

function setOperationHeaders(sim: ArmSimulator, req: ArmRequest, op: ScaleSetOperation, options: ArmRouteOptions): Record<string, string> {
  return asyncOperationHeaders(sim, req, { subscriptionId: op.set.subscriptionId, location: op.set.location, id: op.id, endTime: scaleSetOperationEnd(op) }, options);
}

function notFound(headers: Record<string, string>, resource: string, rg: string): SimResponse {
  return {
    status: 404,
    headers,
    body: armErrorBody("ResourceNotFound", `The Resource '${resource}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  };
}
