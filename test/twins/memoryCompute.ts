/**
 * Compute's in-memory twin: VMs with power states, an accepted call moves a VM at once, every accepted call is
 * logged. Each call yields to the event loop first, so concurrent deliveries really interleave in a test.
 */
import { ArmRequestError, type ArmFailure } from "../../src/domain/armError";
import type { PowerState } from "../../src/domain/power";
import { vmKey, type VmRef } from "../../src/domain/resourceId";
import { targetPowerState, type PowerAction } from "../../src/targets/powerAction";
import type { ObservedVmStatus } from "../../src/domain/verification";
import type { ComputeGateway, VmInfo } from "../../src/engine/ports";
import type { RemainingBudget } from "../../src/engine/backpressure";

export class MemoryCompute implements ComputeGateway {
  readonly vms = new Map<string, { info: VmInfo; powerState: PowerState }>();
  /** Every call Azure would have accepted, in order. */
  readonly accepted: { key: string; action: PowerAction }[] = [];
  /** Calls to refuse next, with this failure. */
  refuseNext: ArmFailure[] = [];
  /** Calls to one VM (by key) to refuse next, with these failures. */
  readonly refuseFor = new Map<string, ArmFailure[]>();

  add(ref: VmRef, powerState: PowerState, location = "westeurope"): void {
    const key = vmKey(ref);
    const id = `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${ref.name}`;
    this.vms.set(key, { info: { ref, key, id, location, tags: {}, osType: "Linux", powerState }, powerState });
  }

  /** Lists to refuse next, with this failure (ARM throttling a read, say). */
  refuseListsNext: ArmFailure[] = [];

  async listVmsInSubscription(subscriptionId: string): Promise<VmInfo[]> {
    const refusal = this.refuseListsNext.shift();
    if (refusal) throw new ArmRequestError(refusal);
    return [...this.vms.values()].filter((v) => v.info.ref.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()).map((v) => ({ ...v.info, powerState: v.powerState }));
  }

  async listVmsInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<VmInfo[]> {
    return (await this.listVmsInSubscription(subscriptionId)).filter((v) => v.ref.resourceGroup.toLowerCase() === resourceGroup.toLowerCase());
  }

  async getVm(ref: VmRef): Promise<VmInfo | undefined> {
    const v = this.vms.get(vmKey(ref));
    return v && { ...v.info, powerState: v.powerState };
  }

  async listVmStatuses(subscriptionId: string): Promise<Map<string, ObservedVmStatus>> {
    const out = new Map<string, ObservedVmStatus>();
    for (const v of await this.listVmsInSubscription(subscriptionId)) out.set(v.key, { powerState: v.powerState });
    return out;
  }

  async getVmStatus(ref: VmRef): Promise<ObservedVmStatus | undefined> {
    const v = this.vms.get(vmKey(ref));
    return v && { powerState: v.powerState };
  }

  async requestPowerAction(ref: VmRef, action: PowerAction): Promise<RemainingBudget> {
    await new Promise((resolve) => setImmediate(resolve));
    const refusal = this.refuseFor.get(vmKey(ref))?.shift() ?? this.refuseNext.shift();
    if (refusal) throw new ArmRequestError(refusal);
    const v = this.vms.get(vmKey(ref));
    if (!v) throw new ArmRequestError({ status: 404, code: "ResourceNotFound", message: `no VM ${ref.name}` });
    this.accepted.push({ key: vmKey(ref), action });
    v.powerState = targetPowerState(action);
    return {};
  }
}
