/**
 * Compute that another Azure service runs for its users: stopping it breaks that service (an AKS node pool
 * deallocated under a running cluster; AKS has its own `stop`). Such targets are left out of Subscriptions and
 * ResourceGroups scopes with a named reason; only an explicit entry in VMLists acts on them. The signals and their sources are in docs/azure-facts.md#azure-managed-capacity. Pure.
 */
import { assertNever } from "./powerAction";

export type ManagedBy = "AKS" | "ServiceFabric" | "Databricks";

export interface ManagedCapacityCandidate {
  resourceGroup: string;
  tags: Record<string, string>;
  /** A Flexible member's scale set, or a Uniform instance's. */
  scaleSetId?: string;
}

export interface ManagedCapacity {
  by: ManagedBy;
  /** What gave it away, for the outcome: "tag aks-managed-poolName", "resource group MC_rg_aks_westeurope". */
  evidence: string;
}

/** The first service that manages this target, or undefined when it is the user's own. */
export function managedCapacityOf(target: ManagedCapacityCandidate): ManagedCapacity | undefined {
  const keys = Object.keys(target.tags ?? {});
  const lower = new Map(keys.map((k) => [k.trim().toLowerCase(), k] as const));
  const value = (name: string) => {
    const key = lower.get(name);
    return key === undefined ? undefined : String(target.tags[key]).trim().toLowerCase();
  };
  const aksTag = keys.find((k) => k.trim().toLowerCase().startsWith("aks-managed-"));
  if (aksTag) return { by: "AKS", evidence: `tag ${aksTag}` };
  if (/^mc_/i.test(target.resourceGroup)) return { by: "AKS", evidence: `resource group ${target.resourceGroup} (an AKS cluster's node resource group)` };
  if (value("resourcetype") === "service fabric") return { by: "ServiceFabric", evidence: "tag resourceType=Service Fabric" };
  if (/^sfc_/i.test(target.resourceGroup)) return { by: "ServiceFabric", evidence: `resource group ${target.resourceGroup} (a Service Fabric managed cluster's node resource group)` };
  if (value("vendor") === "databricks") return { by: "Databricks", evidence: "tag Vendor=Databricks" };
  if (/^databricks-rg-/i.test(target.resourceGroup)) return { by: "Databricks", evidence: `resource group ${target.resourceGroup} (a Databricks workspace's managed resource group)` };
  return undefined;
}

/** The outcome's reason: which service, how we know, and how to act on it anyway. */
export function managedCapacityReason(managed: ManagedCapacity): string {
  return `managed by ${serviceName(managed.by)} (${managed.evidence}): ${advice(managed.by)}; to act on it anyway, name the VM (or its Flexible scale set) in VMLists`;
}

function serviceName(by: ManagedBy): string {
  switch (by) {
    case "AKS":
      return "Azure Kubernetes Service";
    case "ServiceFabric":
      return "Service Fabric";
    case "Databricks":
      return "Azure Databricks";
    default:
      return assertNever(by, "managing service");
  }
}

function advice(by: ManagedBy): string {
  switch (by) {
    case "AKS":
      return "deallocating a node breaks the cluster; stop the cluster with AKS's own stop instead";
    case "ServiceFabric":
      return "stopping nodes under a running cluster loses its quorum";
    case "Databricks":
      return "Databricks starts and terminates its cluster VMs itself";
    default:
      return assertNever(by, "managing service");
  }
}
