/** The target seam's pure rules: power actions, stop modes and their fallback, and what Azure manages. */
import { describe, expect, it } from "vitest";
import {
  STOP_MODES, billingWarning, computePolicyOf, doneStates, plannedCallOf, powerActionFor, readStopMode, targetPowerState, transitionalPowerState,
  type PowerAction,
} from "../../src/targets/powerAction";
import { HIBERNATE_UNAVAILABLE, chooseStopMode, hibernateFallback } from "../../src/targets/stopMode";
import { managedCapacityOf, managedCapacityReason } from "../../src/targets/managedCapacity";
import { kindOf } from "../../src/targets/targetKind";
import { selectVms } from "../../src/domain/scope";
import { hasReachedTarget, isHibernatedFromStatusCodes, isInTransitionToTarget } from "../../src/domain/power";
import { parseScheduledRequest } from "../../src/domain/scheduledRequest";
import { parseSchedule } from "../../src/schedules/schedule";

const SUB = "aaaaaaaa-0000-4000-8000-000000000001";
const ALL: PowerAction[] = ["start", "deallocate", "hibernate", "powerOff"];

describe("power actions", () => {
  it("a stop becomes its stop mode, a start stays a start whatever the mode", () => {
    for (const mode of STOP_MODES) {
      expect(powerActionFor("stop", mode)).toBe(mode);
      expect(powerActionFor("start", mode)).toBe("start");
    }
  });
  it("each action has its own target, transition, throttling policy and plan", () => {
    expect(ALL.map(targetPowerState)).toEqual(["running", "deallocated", "deallocated", "stopped"]);
    expect(ALL.map(transitionalPowerState)).toEqual(["starting", "deallocating", "deallocating", "stopping"]);
    expect(ALL.map(computePolicyOf)).toEqual(["UpdateVM", "DeleteVM", "DeleteVM", "UpdateVM"]);
    expect(ALL.map(plannedCallOf)).toEqual(["WillStart", "WillDeallocate", "WillHibernate", "WillPowerOff"]);
    expect(ALL.map((a) => billingWarning(a) !== undefined)).toEqual([false, false, false, true]);
  });
  it("a powerOff is done by a stopped or a deallocated VM; a deallocate is not done by a stopped one", () => {
    expect(doneStates("powerOff")).toEqual(["stopped", "deallocated"]);
    expect(hasReachedTarget("powerOff", "deallocated")).toBe(true);
    expect(hasReachedTarget("deallocate", "stopped")).toBe(false);
    expect(hasReachedTarget("hibernate", "deallocated")).toBe(true);
    expect(isInTransitionToTarget("powerOff", "stopping")).toBe(true);
    expect(isInTransitionToTarget("deallocate", "stopping")).toBe(false);
  });
  it("reads stop modes in any casing and knows a hibernated instance view", () => {
    expect(readStopMode(" PowerOff ")).toBe("powerOff");
    expect(readStopMode("HIBERNATE")).toBe("hibernate");
    expect(readStopMode("stop")).toBeUndefined();
    expect(isHibernatedFromStatusCodes(["ProvisioningState/succeeded", "PowerState/deallocated", "HibernationState/Hibernated"])).toBe(true);
    expect(isHibernatedFromStatusCodes(["PowerState/deallocated"])).toBe(false);
  });
});

describe("stop modes per VM", () => {
  it("the VM's tag beats the body; a bad tag is ignored and said", () => {
    expect(chooseStopMode("deallocate", { tags: { "StartStop-StopMode": "powerOff" } })).toMatchObject({ mode: "powerOff", note: expect.stringContaining("from tag") });
    expect(chooseStopMode("powerOff", { tags: { "startstop-stopmode": "sleep" } })).toMatchObject({ mode: "powerOff", note: expect.stringContaining("is not deallocate") });
    expect(chooseStopMode("powerOff", { tags: {} })).toEqual({ mode: "powerOff", note: undefined });
  });
  it("a hibernate the VM cannot do is a deallocate with HibernateUnavailable", () => {
    expect(chooseStopMode("hibernate", { tags: {}, hibernationEnabled: true })).toEqual({ mode: "hibernate", note: undefined });
    const fallback = chooseStopMode("hibernate", { tags: {}, hibernationEnabled: false });
    expect(fallback).toMatchObject({ mode: "deallocate", fallback: { code: HIBERNATE_UNAVAILABLE, message: expect.stringContaining("hibernationEnabled") } });
    expect(chooseStopMode("deallocate", { tags: { "startstop-stopmode": "hibernate" } }).fallback?.code).toBe(HIBERNATE_UNAVAILABLE);
    // A stopped (powered-off) VM has no running guest to hibernate: deallocated, saying why.
    expect(chooseStopMode("hibernate", { tags: {}, hibernationEnabled: true, powerState: "stopped" })).toMatchObject({ mode: "deallocate", fallback: { message: expect.stringContaining("stopped") } });
    expect(chooseStopMode("hibernate", { tags: {}, hibernationEnabled: true, powerState: "running" }).mode).toBe("hibernate");
  });
  it("falls back after a refusal about the VM or a failed hibernate, and retries a refusal about the moment", () => {
    expect(hibernateFallback({ status: 409, code: "OperationNotAllowed", message: "Hibernation is not enabled" })).toMatchObject({ then: "deallocate", message: expect.stringContaining("Hibernation is not enabled") });
    expect(hibernateFallback({ status: 400, code: "BadRequest", message: "size does not support hibernation" })?.then).toBe("deallocate");
    expect(hibernateFallback({ status: 200, code: "InternalExecutionError", message: "hibernate failed" })?.message).toContain("the hibernate operation failed");
    expect(hibernateFallback({ status: 409, code: "Conflict", message: "another operation" })).toBeUndefined();
    expect(hibernateFallback({ status: 429, code: "TooManyRequests", message: "" })).toBeUndefined();
    expect(hibernateFallback({ status: 503, code: "ServiceUnavailable", message: "" })).toBeUndefined();
    expect(hibernateFallback({ code: "ECONNRESET", message: "" })).toBeUndefined();
  });
});

describe("capacity Azure manages", () => {
  it("names AKS, Service Fabric and Databricks by their tags or node resource groups", () => {
    expect(managedCapacityOf({ resourceGroup: "rg-k8s", tags: { "aks-managed-poolName": "nodepool1" } })).toEqual({ by: "AKS", evidence: "tag aks-managed-poolName" });
    expect(managedCapacityOf({ resourceGroup: "MC_rg-k8s_aks1_westeurope", tags: {} })?.by).toBe("AKS");
    expect(managedCapacityOf({ resourceGroup: "rg", tags: { resourceType: "Service Fabric", clusterName: "sf1" } })?.by).toBe("ServiceFabric");
    expect(managedCapacityOf({ resourceGroup: "SFC_0000", tags: {} })?.by).toBe("ServiceFabric");
    expect(managedCapacityOf({ resourceGroup: "rg", tags: { Vendor: "Databricks" } })?.by).toBe("Databricks");
    expect(managedCapacityOf({ resourceGroup: "databricks-rg-ws1-abc", tags: {} })?.by).toBe("Databricks");
    expect(managedCapacityOf({ resourceGroup: "rg-mcdonalds", tags: { env: "prod" } })).toBeUndefined();
    expect(managedCapacityReason({ by: "AKS", evidence: "tag aks-managed-poolName" })).toMatch(/Azure Kubernetes Service .*AKS's own stop.*VMLists/);
  });
  it("leaves managed VMs out of a subscription scope with the reason, unless VMLists names them", () => {
    const vm = (rg: string, name: string, tags: Record<string, string> = {}) => {
      const ref = { subscriptionId: SUB, resourceGroup: rg, name };
      return { ref, key: `/subscriptions/${SUB}/resourcegroups/${rg}/providers/microsoft.compute/virtualmachines/${name}`.toLowerCase(), tags };
    };
    const aks = vm("MC_rg_aks1_westeurope", "aks-nodepool1-0");
    const own = vm("rg-web", "web-01");
    const broad = selectVms({ subscriptions: [SUB], resourceGroups: [], vms: [], exclusions: [] }, [aks, own]);
    expect(broad.selected.map((v) => v.ref.name)).toEqual(["web-01"]);
    expect(broad.excluded).toEqual([{ vm: aks, reason: expect.stringContaining("managed by Azure Kubernetes Service") }]);
    const named = selectVms({ subscriptions: [SUB], resourceGroups: [], vms: [aks.ref], exclusions: [] }, [aks, own]);
    expect(named.selected.map((v) => v.ref.name).sort()).toEqual(["aks-nodepool1-0", "web-01"]);
  });
  it("knows a Flexible member from a VM", () => {
    expect(kindOf({})).toBe("vm");
    expect(kindOf({ scaleSetId: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/flex" })).toBe("flexibleMember");
  });
});

describe("StopMode in the body", () => {
  const limits = { maxScopeEntries: 1000 };
  const scopes = { Subscriptions: [`/subscriptions/${SUB}/`] };
  it("is optional (a v2 body is unchanged) and read in any casing", () => {
    const v2 = parseScheduledRequest({ Action: "stop", RequestScopes: scopes }, limits);
    expect(v2.ok && v2.value.stopMode).toBeUndefined();
    const hib = parseScheduledRequest({ Action: "stop", stopmode: "Hibernate", RequestScopes: scopes }, limits);
    expect(hib.ok && hib.value.stopMode).toBe("hibernate");
  });
  it("refuses an unknown mode and a mode on a start, naming the field", () => {
    const bad = parseScheduledRequest({ Action: "stop", StopMode: "sleep", RequestScopes: scopes }, limits);
    expect(!bad.ok && bad.problems).toEqual([{ field: "StopMode", message: expect.stringContaining('"deallocate", "hibernate" or "powerOff"') }]);
    const onStart = parseScheduledRequest({ Action: "start", StopMode: "powerOff", RequestScopes: scopes }, limits);
    expect(!onStart.ok && onStart.problems[0]?.field).toBe("StopMode");
  });
});

describe("Flexible scale sets in VMLists", () => {
  const limits = { maxScopeEntries: 1000 };
  const set = `/subscriptions/${SUB}/resourceGroups/rg-k8s/providers/Microsoft.Compute/virtualMachineScaleSets/flexpool`;
  it("takes a scale set's id, and refuses a Uniform instance's id saying why", () => {
    const ok = parseScheduledRequest({ Action: "stop", RequestScopes: { VMLists: [set, `${set}/`] } }, limits);
    expect(ok.ok && ok.value.scopes.scaleSets).toEqual([{ subscriptionId: SUB, resourceGroup: "rg-k8s", name: "flexpool" }]);
    const instance = parseScheduledRequest({ Action: "stop", RequestScopes: { VMLists: [`${set}/virtualMachines/3`] } }, limits);
    expect(!instance.ok && instance.problems).toEqual([{ field: "RequestScopes.VMLists[0]", message: expect.stringContaining("Uniform scale set") }]);
  });
  it("naming the set selects its members explicitly, even an Azure-managed one", () => {
    const member = {
      ref: { subscriptionId: SUB, resourceGroup: "rg-k8s", name: "aksflex-0" }, key: `/subscriptions/${SUB}/resourcegroups/rg-k8s/providers/microsoft.compute/virtualmachines/aksflex-0`,
      tags: { "aks-managed-poolName": "flexpool" }, scaleSetId: set,
    };
    const other = { ...member, ref: { ...member.ref, name: "other" }, key: member.key.replace("aksflex-0", "other"), scaleSetId: undefined, tags: {} };
    const byGroup = selectVms({ subscriptions: [], resourceGroups: [{ subscriptionId: SUB, resourceGroup: "rg-k8s" }], vms: [], exclusions: [] }, [member, other]);
    expect(byGroup.selected.map((v) => v.ref.name)).toEqual(["other"]);
    expect(byGroup.excluded[0]?.reason).toContain("Flexible scale set");
    const bySet = selectVms({ subscriptions: [], resourceGroups: [], vms: [], scaleSets: [{ subscriptionId: SUB, resourceGroup: "rg-k8s", name: "FlexPool" }], exclusions: [] }, [member, other]);
    expect(bySet.selected.map((v) => v.ref.name)).toEqual(["aksflex-0"]);
  });
});

describe("a schedule's stopMode", () => {
  it("takes the same three stop modes as a request", () => {
    for (const stopMode of STOP_MODES) {
      const r = parseSchedule({ name: "office", timezone: "UTC", periods: [{ beginTime: "8:00", endTime: "18:00" }], stopMode });
      expect(r.ok && r.schedule.stopMode).toBe(stopMode);
    }
    expect(parseSchedule({ name: "office", timezone: "UTC", periods: [{ beginTime: "8:00" }], stopMode: "stop" }).ok).toBe(false);
  });
});
