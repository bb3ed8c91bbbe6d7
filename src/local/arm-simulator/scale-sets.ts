/**
 * Virtual machine scale sets in the simulator (docs/local-world.md "Scale sets"): a Uniform set owns its instances,
 * each one a power model of its own (operations.ts), and a batched start/deallocate/powerOff is one operation over
 * the instances it names. Pure logic against a given simulated `now`; no HTTP here (routes in scale-set-routes.ts).
 */
import type { ScaleSetSeed } from "./fleet";
import { operationStatus, refusalOf, type ActionKind, type ActionOutcome, type Operation, type OperationError, type OperationStatus, type SimVm } from "./operations";

/** A Uniform instance: a VM power model addressed as `…/virtualMachineScaleSets/{set}/virtualMachines/{instanceId}`. */
export interface SimInstance extends SimVm {
  instanceId: string;
  scaleSetName: string;
}

export interface SimScaleSet extends ScaleSetSeed {
  id: string;
  key: string;
  uniqueId: string;
  /** In instance-id order. */
  instances: SimInstance[];
}

/** The batched actions a Uniform set takes (`hibernate` is refused on Uniform, see scale-set-routes.ts). */
export type ScaleSetAction = Extract<ActionKind, "start" | "deallocate" | "powerOff">;

/** One batched call: the instances it named, each with its own operation (and drawn duration). */
export interface ScaleSetOperation {
  id: string;
  kind: ScaleSetAction;
  set: SimScaleSet;
  startTime: number;
  /** The instance ids the call carried, in the order given. */
  instanceIds: string[];
  instanceOps: Operation[];
}

export function scaleSetResourceId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
}

/** Ends when its last instance does. */
export function scaleSetOperationEnd(op: ScaleSetOperation): number {
  return op.instanceOps.reduce((end, o) => Math.max(end, o.endTime), op.startTime);
}

/** InProgress while any instance is; Failed when any instance failed (naming each); else Succeeded. */
export function scaleSetOperationStatus(op: ScaleSetOperation, now: number): OperationStatus {
  const states = op.instanceOps.map((o) => operationStatus(o, now));
  if (states.includes("InProgress")) return "InProgress";
  if (states.includes("Failed")) return "Failed";
  if (states.includes("Canceled")) return "Canceled";
  return "Succeeded";
}

/** The error of a finished operation: one detail per failed instance, its target the instance id. */
export function scaleSetOperationError(op: ScaleSetOperation, now: number): (OperationError & { details: Array<OperationError & { target: string }> }) | undefined {
  const failed = op.instanceOps.filter((o) => operationStatus(o, now) === "Failed" || operationStatus(o, now) === "Canceled");
  if (failed.length === 0) return undefined;
  const ids = failed.map((o) => (o.vm as SimInstance).instanceId);
  return {
    code: failed[0]!.error!.code,
    message: `The operation '${op.kind}' failed on ${failed.length} of ${op.instanceOps.length} instance(s) of the scale set '${op.set.name}': ${ids.join(", ")}.`,
    details: failed.map((o) => ({ code: o.error!.code, target: (o.vm as SimInstance).instanceId, message: o.error!.message })),
  };
}

/**
 * What a batched call names: `instanceIds` absent or empty = every instance. An id that is not an instance of the
 * set → the refusal the Compute RP answers (400 InvalidParameter, target instanceIds); duplicates count once.
 */
export function resolveInstances(set: SimScaleSet, instanceIds: string[] | undefined): { instances: SimInstance[] } | { invalid: string } {
  if (!instanceIds || instanceIds.length === 0) return { instances: [...set.instances] };
  const byId = new Map(set.instances.map((i) => [i.instanceId, i]));
  const chosen: SimInstance[] = [];
  const seen = new Set<string>();
  for (const id of instanceIds) {
    const instance = byId.get(id);
    if (!instance) return { invalid: id };
    if (seen.has(id)) continue;
    seen.add(id);
    chosen.push(instance);
  }
  return { instances: chosen };
}

/** The first instance that cannot begin `action` now (so the whole call is refused and nothing changes). */
export function firstRefusal(instances: SimInstance[], action: ScaleSetAction, now: number): Exclude<ActionOutcome, { kind: "accepted" }> | undefined {
  for (const instance of instances) {
    const refused = refusalOf(instance, action, now);
    if (refused) return refused;
  }
  return undefined;
}

/** The error a failing-start instance's start ends with (the capacity error Azure gives most often for a start). */
export const FAILING_START_ERROR: OperationError = {
  code: "AllocationFailed",
  message: "Allocation failed: there is not enough capacity for the requested VM size in this region (simulated failing start).",
};
