import { describe, expect, it } from "vitest";
import { alertName, desiredAlert, differences, isManagedBy, type MetricAlert } from "../../src/autostop/alertRule";
import { planAlertSync } from "../../src/autostop/syncPlan";
import { parseAlertNotification } from "../../src/autostop/alertWebhook";
import { vmId, vmKey, type VmRef } from "../../src/domain/resourceId";
import type { AutoStopCondition } from "../../src/autostop/autoStopRequest";

const SUB = "12345678-1234-4678-9234-123456781234";
const AG = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Insights/actionGroups/ag-autostop`;
const CONDITION: AutoStopCondition = { metricName: "Percentage CPU", operator: "LessThan", threshold: 5, timeAggregation: "Average", evaluationFrequency: "PT5M", windowSize: "PT6H", severity: 2, description: "idle" };
const ref = (name: string, resourceGroup = "rg-dev"): VmRef => ({ subscriptionId: SUB, resourceGroup, name });
const candidate = (name: string, resourceGroup = "rg-dev") => ({ ref: ref(name, resourceGroup), key: vmKey(ref(name, resourceGroup)), id: vmId(ref(name, resourceGroup)), tags: {} });
const existing = (name: string, over: Partial<MetricAlert> = {}) => ({ ...desiredAlert(ref(name), "default", CONDITION, "app-1", AG), ...over });
const input = (over: Partial<Parameters<typeof planAlertSync>[0]> = {}) => ({
  configuration: "default", enabled: true, condition: CONDITION, managedBy: "app-1", actionGroupId: AG, selected: [], excluded: [], existing: [], ...over,
});

describe("alert names and tags", () => {
  it("is deterministic per VM and configuration, and differs for same-named VMs in other groups", () => {
    expect(alertName(ref("web-01"), "default")).toBe(alertName(ref("WEB-01".toLowerCase()), "default"));
    expect(alertName(ref("web-01"), "default")).toMatch(/^autostop-web-01-[0-9a-f]{8}$/);
    expect(alertName(ref("web-01", "rg-a"), "default")).not.toBe(alertName(ref("web-01", "rg-b"), "default"));
    expect(alertName(ref("web-01"), "default")).not.toBe(alertName(ref("web-01"), "nightly"));
  });

  it("recognises only alerts tagged by this deployment", () => {
    const alert = existing("web-01");
    expect(isManagedBy(alert, "app-1", "default")).toBe(true);
    expect(isManagedBy(alert, "app-2")).toBe(false);
    expect(isManagedBy({ tags: {} }, "app-1")).toBe(false);
  });

  it("sees no difference in case or trailing slashes, and names a real one", () => {
    const a = existing("web-01");
    expect(differences({ ...a, scopes: [a.scopes[0]!.toUpperCase() + "/"], evaluationFrequency: "pt5m" }, a)).toEqual([]);
    expect(differences({ ...a, criteria: [{ ...a.criteria[0]!, threshold: 10 }] }, a)).toEqual([expect.stringMatching(/^criteria .*"threshold":10.* → .*"threshold":5/)]);
  });
});

describe("planAlertSync", () => {
  it("creates the missing, leaves the matching, updates the different", () => {
    const changes = planAlertSync(input({
      selected: [candidate("a"), candidate("b"), candidate("c")],
      existing: [existing("b"), existing("c", { severity: 3 })],
    }));
    expect(changes.map((c) => [c.kind, c.vmId.split("/").pop()])).toEqual([["create", "a"], ["unchanged", "b"], ["update", "c"]]);
  });

  it("deletes the alerts of VMs that left the scope, were excluded, or are gone", () => {
    const changes = planAlertSync(input({
      selected: [candidate("a")],
      excluded: [{ vm: candidate("x"), reason: "tagged ssv2excludevm=true" }, { vm: candidate("y"), reason: "in ExcludedVMLists" }],
      existing: [existing("a"), existing("x"), existing("gone")],
    }));
    expect(changes.map((c) => [c.kind, c.vmId.split("/").pop()])).toEqual([["unchanged", "a"], ["delete", "x"], ["excluded", "y"], ["delete", "gone"]]);
  });

  it("switched off: every alert of the configuration goes, and none is created", () => {
    const changes = planAlertSync(input({ enabled: false, selected: [candidate("a"), candidate("b")], existing: [existing("a")] }));
    expect(changes.map((c) => c.kind)).toEqual(["delete"]);
  });
});

describe("the webhook body", () => {
  const body = (essentials: Record<string, unknown>) => ({
    schemaId: "azureMonitorCommonAlertSchema",
    data: { essentials: { alertId: "/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/providers/Microsoft.AlertsManagement/alerts/0b1e5a11-0000-4000-8000-000000000001", alertRule: "autostop-a-1", signalType: "Metric", monitorCondition: "Fired", alertTargetIDs: [vmId(ref("a")).toLowerCase()], ...essentials }, alertContext: {} },
  });

  it("reads a common-schema metric alert", () => {
    const r = parseAlertNotification(body({}));
    expect(r.ok && r.value).toMatchObject({ ruleName: "autostop-a-1", condition: "Fired", vm: { name: "a", resourceGroup: "rg-dev" } });
  });

  it("refuses other schemas and signals, naming the field", () => {
    expect(parseAlertNotification({ ...body({}), schemaId: "Microsoft.Insights/activityLogs" })).toMatchObject({ ok: false, field: "schemaId" });
    expect(parseAlertNotification(body({ signalType: "Log" }))).toMatchObject({ ok: false, field: "data.essentials.signalType" });
    expect(parseAlertNotification(body({ alertTargetIDs: [] }))).toMatchObject({ ok: false, field: "data.essentials.alertTargetIDs" });
    expect(parseAlertNotification(body({ alertTargetIDs: ["/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z"] }))).toMatchObject({ ok: false });
    expect(parseAlertNotification("hello")).toMatchObject({ ok: false, field: "(body)" });
  });

  it("a body built to crash the parser gets a 400 naming the field: deep nesting, rule names and ids ARM could not take", () => {
    let deep: unknown = "Metric";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const refused = parseAlertNotification(body({ signalType: deep }));
    expect(refused).toMatchObject({ ok: false, field: "data.essentials.signalType" });
    expect(!refused.ok && refused.message).toMatch(/an array/);
    expect(parseAlertNotification(body({ alertRule: "autostop-\ud800-x" }))).toMatchObject({ ok: false, field: "data.essentials.alertRule" });
    expect(parseAlertNotification(body({ alertRule: "../../x" }))).toMatchObject({ ok: false, field: "data.essentials.alertRule" });
    expect(parseAlertNotification(body({ alertId: "/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/forged" }))).toMatchObject({ ok: false, field: "data.essentials.alertId" });
  });
});
