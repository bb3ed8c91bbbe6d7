/**
 * What AutoStopVM does with a notification. Even with Azure Monitor's token the body proves little (anyone able to
 * write an alert rule anywhere in the tenant can make Azure Monitor post one), so a stop must be *warranted*, each
 * link checked against Azure or our own records:
 *   1. the rule named exists in the VM's group, carries our tags, has our deterministic name and watches exactly that VM;
 *   2. the rule is enabled, notifies our action group, and says exactly what its configuration asks for (a rule someone
 *      edited, e.g. a threshold that always fires, is not ours any more);
 *   3. the configuration named by the rule's tag exists, is enabled, and still selects the VM (in scope, not excluded);
 *   4. Alerts Management has that alert instance, raised by that rule on that VM, and it is Fired now (a forged id, a
 *      replay of an old resolved firing, or a firing of a look-alike rule elsewhere are refused).
 * Each refusal carries a reason code, is logged and counted (the AutoStopAlertRefused event). A warranted stop
 * deallocates the VM through the same request engine as Scheduled; a repeat of one firing starts no second request.
 */
import { tagValue } from "../domain/tags";
import { parseVmId, vmId, vmKey } from "../domain/resourceId";
import type { ScheduledRequest } from "../domain/scheduledRequest";
import { selectVms } from "../domain/scope";
import { submitRequest } from "../engine/submitRequest";
import type { EngineDeps } from "../engine/ports";
import type { RequestRecord } from "../engine/records";
import { alertId, alertName, CONFIGURATION_TAG, desiredAlert, differences, isManagedBy } from "./alertRule";
import type { AutoStopDeps } from "./autoStopDeps";
import type { AlertNotification } from "./alertWebhook";

/** Why a notification was not acted on (the `reason` dimension of AutoStopAlertRefused). */
export type RefusalCode =
  | "rule-not-found" | "rule-not-ours" | "rule-watches-another-vm" | "rule-disabled" | "rule-not-our-action-group" | "rule-differs"
  | "configuration-missing" | "configuration-disabled" | "vm-not-found" | "vm-out-of-scope" | "vm-excluded"
  | "alert-not-found" | "alert-of-another-rule" | "alert-on-another-vm" | "alert-not-fired";

export type AlertVerdict =
  | { kind: "refused"; status: 403 | 404; code: RefusalCode; reason: string }
  | { kind: "ignored"; reason: string }
  | { kind: "stopping"; request: RequestRecord; duplicate: boolean };

type WarrantDeps = Pick<AutoStopDeps, "alerts" | "instances" | "store" | "compute" | "settings" | "telemetry">;

export async function stopOnAlert(engine: EngineDeps, deps: WarrantDeps, notification: AlertNotification): Promise<AlertVerdict> {
  const verdict = await warrant(engine, deps, notification);
  if (verdict.kind === "refused") {
    deps.telemetry.event("AutoStopAlertRefused", { reason: verdict.code, vmId: vmId(notification.vm), alertRule: notification.ruleName, alertId: notification.alertInstanceId.slice(0, 200) });
  }
  return verdict;
}

async function warrant(engine: EngineDeps, deps: WarrantDeps, notification: AlertNotification): Promise<AlertVerdict> {
  const refuse = (status: 403 | 404, code: RefusalCode, reason: string): AlertVerdict => ({ kind: "refused", status, code, reason });
  const { vm } = notification;
  const { managedBy, actionGroupId } = deps.settings;
  // 1. the rule, as Azure has it
  const rule = await deps.alerts.get(vm.subscriptionId, vm.resourceGroup, notification.ruleName);
  if (!rule) return refuse(404, "rule-not-found", `no metric alert "${notification.ruleName}" in resource group ${vm.resourceGroup}`);
  if (!isManagedBy(rule, managedBy)) return refuse(403, "rule-not-ours", `the alert "${rule.name}" is not managed by this app`);
  const configurationName = tagValue(rule.tags, CONFIGURATION_TAG) ?? "";
  const watches = rule.scopes.length === 1 && rule.scopes[0]!.replace(/\/+$/, "").toLowerCase() === vmKey(vm);
  if (!watches || rule.name.toLowerCase() !== alertName(vm, configurationName).toLowerCase()) {
    return refuse(403, "rule-watches-another-vm", `the alert "${rule.name}" does not watch ${vmId(vm)}`);
  }
  if (notification.condition === "Resolved") return { kind: "ignored", reason: "the VM is busy again (Resolved): nothing to do" };

  // 2. the rule is live, notifies us, and is the rule its configuration wants
  if (!rule.enabled) return refuse(403, "rule-disabled", `the alert "${rule.name}" is disabled`);
  const ours = (id: string) => !!actionGroupId && id.replace(/\/+$/, "").toLowerCase() === actionGroupId.toLowerCase();
  if (!rule.actionGroupIds.some(ours)) return refuse(403, "rule-not-our-action-group", `the alert "${rule.name}" does not notify this app's action group`);

  // 3. the configuration still wants this VM stopped when idle
  const configuration = await deps.store.getConfiguration(configurationName);
  if (!configuration) return refuse(403, "configuration-missing", `no AutoStop configuration "${configurationName}"`);
  if (!configuration.enabled) return refuse(403, "configuration-disabled", `AutoStop configuration "${configurationName}" is switched off`);
  const changed = differences(rule, desiredAlert(vm, configurationName, configuration.condition, managedBy, actionGroupId!));
  if (changed.length > 0) return refuse(403, "rule-differs", `the alert "${rule.name}" is not what configuration "${configurationName}" asks for: ${changed.join("; ").slice(0, 300)}`);
  const found = await engine.compute.getVm(vm);
  if (!found) return refuse(404, "vm-not-found", `${vmId(vm)} does not exist`);
  const selection = selectVms(configuration.scopes, [found]);
  if (selection.excluded.length > 0) return refuse(403, "vm-excluded", `${vmId(vm)} is ${selection.excluded[0]!.reason}`);
  if (selection.selected.length === 0) return refuse(403, "vm-out-of-scope", `${vmId(vm)} is not in the scope of AutoStop configuration "${configurationName}"`);

  // 4. Azure Monitor really raised this alert, from this rule, on this VM, and it is firing now
  const instance = await deps.instances.get(notification.alertInstanceId);
  if (!instance) return refuse(403, "alert-not-found", `Azure Monitor has no alert ${notification.alertInstanceId.slice(0, 200)}`);
  if (instance.alertRuleId.replace(/\/+$/, "").toLowerCase() !== alertId(rule).toLowerCase()) {
    return refuse(403, "alert-of-another-rule", `alert ${instance.id} was raised by ${instance.alertRuleId.slice(0, 300)}, not by ${alertId(rule)}`);
  }
  const target = parseVmId(instance.targetResourceId);
  if (!target || vmKey(target) !== vmKey(vm)) return refuse(403, "alert-on-another-vm", `alert ${instance.id} is about ${instance.targetResourceId.slice(0, 300)}`);
  if (instance.monitorCondition !== "Fired" || instance.alertState === "Closed") {
    return refuse(403, "alert-not-fired", `alert ${instance.id} is ${instance.monitorCondition}${instance.alertState === "Closed" ? " and closed" : ""}: a replay of an old firing`);
  }

  // A new firing while an earlier stop of this VM is still running joins it instead of starting another.
  const desired = await engine.desiredStates.get(vmKey(vm));
  if (desired?.desired === "deallocated") {
    const running = await engine.store.getRequest(desired.requestId);
    if (running && running.stage !== "completed") return { kind: "stopping", request: running, duplicate: true };
  }
  const request: ScheduledRequest = {
    action: "stop", sequenced: false, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0,
    scopes: { subscriptions: [], resourceGroups: [], vms: [vm], exclusions: [] },
  };
  // Repeats of one firing (the action group's retries, a duplicate delivery) carry the same alert id: one request.
  const { record, duplicate } = await submitRequest(engine, request, `autostop:${vmKey(vm)}:${notification.alertInstanceId}`);
  return { kind: "stopping", request: record, duplicate };
}
