/** JSON shapes ARM/Compute return, as @azure/arm-compute deserializes them. */
import { operationStatus, powerStateOf, provisioningStateOf, type Operation, type SimVm } from "./operations";
import { scaleSetOperationEnd, scaleSetOperationError, scaleSetOperationStatus, type ScaleSetOperation, type SimInstance, type SimScaleSet } from "./scale-sets";

const POWER_DISPLAY: Record<string, string> = {
  starting: "VM starting",
  running: "VM running",
  stopping: "VM stopping",
  stopped: "VM stopped",
  deallocating: "VM deallocating",
  deallocated: "VM deallocated",
};

export interface InstanceViewStatus {
  code: string;
  level: "Info" | "Warning" | "Error";
  displayStatus: string;
  message?: string;
  time?: string;
}

export function instanceView(vm: SimVm, now: number): { statuses: InstanceViewStatus[] } {
  const power = powerStateOf(vm, now);
  const prov = provisioningStateOf(vm, now);
  const statuses: InstanceViewStatus[] = [];
  if (prov === "Failed" && vm.failure) {
    statuses.push({
      code: `ProvisioningState/failed/${vm.failure.code}`,
      level: "Error",
      displayStatus: "Provisioning failed",
      message: vm.failure.message,
      time: new Date(vm.failure.time).toISOString(),
    });
  } else if (prov === "Updating") {
    statuses.push({ code: "ProvisioningState/updating", level: "Info", displayStatus: "Updating" });
  } else {
    const last = vm.history[vm.history.length - 1];
    statuses.push({
      code: "ProvisioningState/succeeded",
      level: "Info",
      displayStatus: "Provisioning succeeded",
      time: new Date(last.time).toISOString(),
    });
  }
  statuses.push({ code: `PowerState/${power}`, level: "Info", displayStatus: POWER_DISPLAY[power] });
  if (power === "deallocated" && vm.hibernated) statuses.push({ code: "HibernationState/Hibernated", level: "Info", displayStatus: "VM hibernated" });
  return { statuses };
}

export function vmJson(vm: SimVm, now: number, withInstanceView: boolean): unknown {
  const properties: Record<string, unknown> = {
    vmId: vm.vmId,
    hardwareProfile: { vmSize: vm.vmSize },
    storageProfile: {
      osDisk: { osType: vm.osType, name: `${vm.name}_OsDisk_1_${vm.vmId.replace(/-/g, "")}`, createOption: "FromImage" },
    },
    priority: vm.priority,
  };
  if (vm.licenseType) properties.licenseType = vm.licenseType;
  if (vm.evictionPolicy) properties.evictionPolicy = vm.evictionPolicy;
  if (vm.hibernationEnabled) properties.additionalCapabilities = { hibernationEnabled: true };
  if (vm.flexibleScaleSet) {
    properties.virtualMachineScaleSet = { id: `/subscriptions/${vm.subscriptionId}/resourceGroups/${vm.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${vm.flexibleScaleSet}` };
  }
  properties.provisioningState = provisioningStateOf(vm, now);
  if (withInstanceView) properties.instanceView = instanceView(vm, now);
  return {
    id: vm.id,
    name: vm.name,
    type: "Microsoft.Compute/virtualMachines",
    location: vm.location,
    tags: vm.tags,
    properties,
  };
}

export function operationJson(op: Operation, now: number): unknown {
  const status = operationStatus(op, now);
  const body: Record<string, unknown> = { name: op.id, status, startTime: new Date(op.startTime).toISOString() };
  if (status !== "InProgress") body.endTime = new Date(op.endTime).toISOString();
  if ((status === "Failed" || status === "Canceled") && op.error) body.error = { code: op.error.code, message: op.error.message };
  return body;
}

/** VirtualMachineScaleSets_Get / _List: the set with its capacity (a Flexible set's: its member VMs), mode and OS. */
export function scaleSetJson(set: SimScaleSet, capacity: number): unknown {
  const virtualMachineProfile: Record<string, unknown> = {
    storageProfile: { osDisk: { osType: set.osType, createOption: "FromImage", caching: "ReadWrite" } },
    priority: set.priority,
  };
  if (set.priority !== "Regular") virtualMachineProfile.evictionPolicy = "Deallocate";
  const properties: Record<string, unknown> = { orchestrationMode: set.orchestrationMode, provisioningState: "Succeeded", uniqueId: set.uniqueId };
  if (set.orchestrationMode === "Uniform") Object.assign(properties, { upgradePolicy: { mode: "Manual" }, overprovision: false, singlePlacementGroup: true });
  else properties.platformFaultDomainCount = 1;
  properties.virtualMachineProfile = virtualMachineProfile;
  return {
    id: set.id,
    name: set.name,
    type: "Microsoft.Compute/virtualMachineScaleSets",
    location: set.location,
    tags: set.tags,
    sku: { name: set.sku, tier: "Standard", capacity },
    properties,
  };
}

/** VirtualMachineScaleSetVMs_Get / _List: one Uniform instance (no tags of its own), optionally with its instance view. */
export function scaleSetInstanceJson(instance: SimInstance, now: number, withInstanceView: boolean): unknown {
  const properties: Record<string, unknown> = {
    latestModelApplied: true,
    vmId: instance.vmId,
    storageProfile: {
      osDisk: { osType: instance.osType, name: `${instance.name}_OsDisk_1_${instance.vmId.replace(/-/g, "")}`, createOption: "FromImage" },
    },
    provisioningState: provisioningStateOf(instance, now),
  };
  if (withInstanceView) properties.instanceView = instanceView(instance, now);
  return {
    id: instance.id,
    name: instance.name,
    type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
    location: instance.location,
    instanceId: instance.instanceId,
    sku: { name: instance.vmSize, tier: "Standard" },
    properties,
  };
}

/** The status of a batched scale-set operation: Failed names every instance that failed (in `error.details`). */
export function scaleSetOperationJson(op: ScaleSetOperation, now: number): unknown {
  const status = scaleSetOperationStatus(op, now);
  const body: Record<string, unknown> = { name: op.id, status, startTime: new Date(op.startTime).toISOString() };
  if (status !== "InProgress") body.endTime = new Date(scaleSetOperationEnd(op)).toISOString();
  const error = status === "InProgress" ? undefined : scaleSetOperationError(op, now);
  if (error) body.error = error;
  return body;
}
