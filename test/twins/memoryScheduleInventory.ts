/** The schedule evaluator's inventory port, in memory: VMs with tags and power states, resource groups' tags; reads counted. */
import { vmKey, type VmRef } from "../../src/domain/resourceId";
import type { PowerState } from "../../src/domain/power";
import type { VmInfo } from "../../src/engine/ports";
import type { EvaluatorInventory } from "../../src/schedules/evaluator";

export class MemoryScheduleInventory implements EvaluatorInventory {
  readonly vms: VmInfo[] = [];
  readonly groups = new Map<string, Map<string, Record<string, string>>>();
  reads = 0;

  add(subscriptionId: string, resourceGroup: string, name: string, tags: Record<string, string> = {}, powerState: PowerState = "deallocated"): VmInfo {
    const ref: VmRef = { subscriptionId, resourceGroup, name };
    const vm: VmInfo = { ref, key: vmKey(ref), id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`, location: "westeurope", tags, powerState };
    this.vms.push(vm);
    return vm;
  }

  tagGroup(subscriptionId: string, resourceGroup: string, tags: Record<string, string>): void {
    const sub = this.groups.get(subscriptionId.toLowerCase()) ?? new Map();
    sub.set(resourceGroup.toLowerCase(), tags);
    this.groups.set(subscriptionId.toLowerCase(), sub);
  }

  async listVms(subscriptionId: string) {
    this.reads++;
    return this.vms.filter((v) => v.ref.subscriptionId.toLowerCase() === subscriptionId.toLowerCase()).map((v) => structuredClone(v));
  }

  async listVmsInGroup(subscriptionId: string, resourceGroup: string) {
    this.reads++;
    return this.vms.filter((v) => v.ref.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() && v.ref.resourceGroup.toLowerCase() === resourceGroup.toLowerCase()).map((v) => structuredClone(v));
  }

  async groupTags(subscriptionId: string, resourceGroup: string) {
    this.reads++;
    return { ...(this.groups.get(subscriptionId.toLowerCase())?.get(resourceGroup.toLowerCase()) ?? {}) };
  }

  async resourceGroupTags(subscriptionId: string) {
    this.reads++;
    return new Map(this.groups.get(subscriptionId.toLowerCase()) ?? []);
  }
}
