/**
 * The only code that calls Microsoft.Compute: the official @azure/arm-compute client over HTTPS, with its
 * own retries switched off, because retrying is the queue's job (a function must never sleep waiting for
 * Azure) and a hidden retry would break the pacing and the attempt counts the engine reports.
 */
import { ComputeManagementClient, type VirtualMachine, type InstanceViewStatus } from "@azure/arm-compute";
import { armCall, armClientOptions, type ArmClientSettings } from "./armClient";
import { ArmRequestError } from "../domain/armError";
import { isHibernatedFromStatusCodes, powerStateFromStatusCodes } from "../domain/power";
import { parseVmId, vmKey, type VmRef } from "../domain/resourceId";
import { assertNever, computePolicyOf, type PowerAction } from "../targets/powerAction";
import type { ObservedVmStatus } from "../domain/verification";
import type { ComputeGateway, VmInfo } from "../engine/ports";
import type { ScopeProbe } from "../operations/heartbeat";
import type { RemainingBudget } from "../engine/backpressure";

export type ArmComputeOptions = ArmClientSettings;

export class ArmComputeGateway implements ComputeGateway, ScopeProbe {
  private readonly clients = new Map<string, ComputeManagementClient>();
  private readonly clientOptions: ReturnType<typeof armClientOptions>;

  constructor(private readonly options: ArmComputeOptions) {
    this.clientOptions = armClientOptions(options);
  }

  private client(subscriptionId: string): ComputeManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new ComputeManagementClient(this.options.credential, subscriptionId, this.clientOptions);
      this.clients.set(subscriptionId, client);
    }
    return client;
  }

  async listVmsInSubscription(subscriptionId: string): Promise<VmInfo[]> {
    return this.callArm(async () => collect(this.client(subscriptionId).virtualMachines.listAll(), toVmInfo));
  }

  async listVmsInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<VmInfo[]> {
    return this.callArm(async () => collect(this.client(subscriptionId).virtualMachines.list(resourceGroup), toVmInfo));
  }

  /** The heartbeat's check: the first page of the scope's VM list, nothing more (one ARM read). */
  async canReadVms(scope: { subscriptionId: string; resourceGroup?: string }): Promise<void> {
    await this.callArm(async () => {
      const vms = this.client(scope.subscriptionId).virtualMachines;
      const pages = scope.resourceGroup ? vms.list(scope.resourceGroup).byPage() : vms.listAll().byPage();
      await pages.next();
    });
  }

  async getVm(ref: VmRef): Promise<VmInfo | undefined> {
    return this.callArmOrNotFound(async () => {
      const vm = await this.client(ref.subscriptionId).virtualMachines.get(ref.resourceGroup, ref.name, { expand: "instanceView" });
      return toVmInfo(vm);
    });
  }

  async listVmStatuses(subscriptionId: string): Promise<Map<string, ObservedVmStatus>> {
    return this.callArm(async () => {
      const result = new Map<string, ObservedVmStatus>();
      for await (const vm of this.client(subscriptionId).virtualMachines.listAll({ statusOnly: "true" })) {
        const ref = vm.id ? parseVmId(vm.id) : undefined;
        if (ref) result.set(vmKey(ref), observe(vm.instanceView?.statuses));
      }
      return result;
    });
  }

  /** Every VM of a subscription with its tags and power state, in one paged statusOnly list (the schedule evaluator's inventory). */
  async listVmsWithStatus(subscriptionId: string): Promise<VmInfo[]> {
    return this.callArm(async () => collect(this.client(subscriptionId).virtualMachines.listAll({ statusOnly: "true" }), toVmInfo));
  }

  /** The VMs of one resource group with tags and power states (`$expand=instanceView`), for a resource-group scope. */
  async listVmsInResourceGroupWithStatus(subscriptionId: string, resourceGroup: string): Promise<VmInfo[]> {
    return this.callArm(async () => collect(this.client(subscriptionId).virtualMachines.list(resourceGroup, { expand: "instanceView" }), toVmInfo));
  }

  async getVmStatus(ref: VmRef): Promise<ObservedVmStatus | undefined> {
    return this.callArmOrNotFound(async () => {
      const view = await this.client(ref.subscriptionId).virtualMachines.instanceView(ref.resourceGroup, ref.name);
      return observe(view.statuses);
    });
  }

  async requestPowerAction(ref: VmRef, action: PowerAction): Promise<RemainingBudget> {
    const vms = this.client(ref.subscriptionId).virtualMachines;
    let remaining: RemainingBudget = {};
    const options = { onResponse: (raw: { headers: { get(name: string): string | undefined } }) => (remaining = readRemainingBudget(raw.headers, action)) };
    // begin* sends the action and returns a poller once Azure accepted it (202); we never poll it here:
    // the sweep verifies power states in bulk, which costs far fewer ARM reads than one poller per VM.
    await this.callArm(() => send(vms, ref, action, options));
    return remaining;
  }

  private async callArm<T>(call: () => Promise<T>): Promise<T> {
    return armCall(call, this.options.clock);
  }

  private async callArmOrNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.callArm(call);
    } catch (error) {
      if (error instanceof ArmRequestError && error.failure.status === 404) return undefined;
      throw error;
    }
  }
}

type VirtualMachines = ComputeManagementClient["virtualMachines"];

/** One ARM call per action (docs/azure-facts.md#power-actions): hibernate is a deallocate with `hibernate=true`. */
async function send(vms: VirtualMachines, ref: VmRef, action: PowerAction, options: { onResponse: (raw: { headers: { get(name: string): string | undefined } }) => void }): Promise<unknown> {
  switch (action) {
    case "start":
      return vms.beginStart(ref.resourceGroup, ref.name, options);
    case "deallocate":
      return vms.beginDeallocate(ref.resourceGroup, ref.name, options);
    case "hibernate":
      return vms.beginDeallocate(ref.resourceGroup, ref.name, { ...options, hibernate: true });
    case "powerOff":
      return vms.beginPowerOff(ref.resourceGroup, ref.name, options);
    default:
      return assertNever(action, "power action");
  }
}

async function collect<T, R>(pages: AsyncIterable<T>, map: (item: T) => R | undefined): Promise<R[]> {
  const out: R[] = [];
  for await (const item of pages) {
    const mapped = map(item);
    if (mapped !== undefined) out.push(mapped);
  }
  return out;
}

function toVmInfo(vm: VirtualMachine): VmInfo | undefined {
  const ref = vm.id ? parseVmId(vm.id) : undefined;
  if (!ref) return undefined;
  return {
    ref,
    key: vmKey(ref),
    id: vm.id!,
    location: vm.location,
    tags: vm.tags ?? {},
    osType: vm.storageProfile?.osDisk?.osType,
    priority: vm.priority,
    powerState: powerStateFromStatusCodes((vm.instanceView?.statuses ?? []).map((s) => s.code)),
    hibernationEnabled: vm.additionalCapabilities?.hibernationEnabled === true,
    scaleSetId: vm.virtualMachineScaleSet?.id,
    size: vm.hardwareProfile?.vmSize,
    licenseType: vm.licenseType,
  };
}

/** Reads the power state and a provisioning failure ("ProvisioningState/failed/<code>") from instance-view statuses. */
export function observe(statuses: InstanceViewStatus[] | undefined): ObservedVmStatus {
  const list = statuses ?? [];
  const failed = list.find((s) => s.code?.toLowerCase().startsWith("provisioningstate/failed"));
  return {
    powerState: powerStateFromStatusCodes(list.map((s) => s.code)),
    hibernated: isHibernatedFromStatusCodes(list.map((s) => s.code)),
    provisioningFailure: failed
      ? {
          code: failed.code!.split("/")[2] || "ProvisioningFailed",
          message: failed.message ?? failed.displayStatus ?? "provisioning failed",
          time: failed.time ? new Date(failed.time) : undefined,
        }
      : undefined,
  };
}

/**
 * What Azure says is left of the budgets a power call spends: `x-ms-ratelimit-remaining-subscription-writes`
 * and the Compute policy in `x-ms-ratelimit-remaining-resource` ("Microsoft.Compute/UpdateVM;1499,...";
 * older forms carry a window suffix such as "UpdateVM3Min"), split on "," then ";" (docs/azure-facts.md#compute-throttling).
 */
export function readRemainingBudget(headers: { get(name: string): string | undefined }, action: PowerAction): RemainingBudget {
  const writes = Number(headers.get("x-ms-ratelimit-remaining-subscription-writes"));
  const policy = computePolicyOf(action).toLowerCase();
  let compute: number | undefined;
  for (const part of (headers.get("x-ms-ratelimit-remaining-resource") ?? "").split(",")) {
    const [name, count] = part.split(";");
    const bare = name?.trim().toLowerCase().replace(/^microsoft\.compute\//, "").replace(/\d+min$/, "");
    if (bare === policy && count !== undefined && Number.isFinite(Number(count))) {
      compute = Math.min(compute ?? Infinity, Number(count));
    }
  }
  return { compute, armWrites: Number.isFinite(writes) ? writes : undefined };
}
