/**
 * What AutoStopVM does with a notification: check against Azure that it is a live alert this app manages on that very
 * VM (the body proves nothing: anyone holding the URL can post one), then deallocate the VM through the same request
 * engine as Scheduled, so the stop is verified, retried and reported. A repeat of a firing starts no second request.
 */
import { tagValue } from "../domain/tags";
import { vmId, vmKey } from "../domain/resourceId";
import type { ScheduledRequest } from "../domain/scheduledRequest";
import { submitRequest } from "../engine/submitRequest";
import type { EngineDeps } from "../engine/ports";
import type { RequestRecord } from "../engine/records";
import { alertName, CONFIGURATION_TAG, isManagedBy } from "./alertRule";
import type { MetricAlertGateway } from "./alertGateway";
import type { AlertNotification } from "./alertWebhook";

export type AlertVerdict =
  | { kind: "refused"; status: 403 | 404; reason: string }
  | { kind: "ignored"; reason: string }
  | { kind: "stopping"; request: RequestRecord; duplicate: boolean };

export async function stopOnAlert(
  engine: EngineDeps,
  alerts: MetricAlertGateway,
  managedBy: string,
  notification: AlertNotification,
): Promise<AlertVerdict> {
  const { vm } = notification;
  const rule = await alerts.get(vm.subscriptionId, vm.resourceGroup, notification.ruleName);
  if (!rule) return { kind: "refused", status: 404, reason: `no metric alert "${notification.ruleName}" in resource group ${vm.resourceGroup}` };
  if (!isManagedBy(rule, managedBy)) return { kind: "refused", status: 403, reason: `the alert "${rule.name}" is not managed by this app` };
  const configuration = tagValue(rule.tags, CONFIGURATION_TAG) ?? "";
  const watches = rule.scopes.length === 1 && rule.scopes[0]!.replace(/\/+$/, "").toLowerCase() === vmKey(vm);
  if (!watches || rule.name.toLowerCase() !== alertName(vm, configuration).toLowerCase()) {
    return { kind: "refused", status: 403, reason: `the alert "${rule.name}" does not watch ${vmId(vm)}` };
  }
  if (notification.condition === "Resolved") return { kind: "ignored", reason: "the VM is busy again (Resolved): nothing to do" };

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
