/**
 * Reading what an action group posts to AutoStopVM: Azure Monitor's common alert schema for a metric alert
 * (docs/autostop.md). Pure: only the shape is checked here; whether the alert is really ours is checked against
 * Azure by the caller, because the body itself proves nothing.
 */
import { parseVmId, type VmRef } from "../domain/resourceId";

export interface AlertNotification {
  /** The alert instance (the same for every repeat of one firing). */
  alertInstanceId: string;
  ruleName: string;
  vm: VmRef;
  condition: "Fired" | "Resolved";
  firedAt?: string;
}

const RULE_NAME = /^[A-Za-z0-9._-]{1,260}$/;
const ALERT_ID = /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/providers\/Microsoft\.AlertsManagement\/alerts\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NotificationResult = { ok: true; value: AlertNotification } | { ok: false; field: string; message: string };

export function parseAlertNotification(body: unknown): NotificationResult {
  const fail = (field: string, message: string): NotificationResult => ({ ok: false, field, message });
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!obj(body)) return fail("(body)", "expected Azure Monitor's common alert schema (a JSON object)");
  if (body.schemaId !== "azureMonitorCommonAlertSchema") return fail("schemaId", `must be "azureMonitorCommonAlertSchema": turn on the common alert schema for the webhook`);
  const data = body.data;
  if (!obj(data) || !obj(data.essentials)) return fail("data.essentials", "missing");
  const e = data.essentials;
  if (e.signalType !== "Metric") return fail("data.essentials.signalType", `AutoStop acts on metric alerts only, got ${describeValue(e.signalType)}`);
  if (e.monitorCondition !== "Fired" && e.monitorCondition !== "Resolved") return fail("data.essentials.monitorCondition", `must be "Fired" or "Resolved"`);
  // Our rules are named autostop-<vm name>-<hash>; anything else is not ours and never reaches ARM (a lone surrogate
  // could not even be put in a URL).
  if (typeof e.alertRule !== "string" || !RULE_NAME.test(e.alertRule)) return fail("data.essentials.alertRule", "must be the name of an AutoStop metric alert (letters, digits, . _ -)");
  if (typeof e.alertId !== "string" || !ALERT_ID.test(e.alertId)) return fail("data.essentials.alertId", "must be an Alerts Management id, /subscriptions/<id>/providers/Microsoft.AlertsManagement/alerts/<guid>");
  const targets = e.alertTargetIDs;
  if (!Array.isArray(targets) || targets.length !== 1 || typeof targets[0] !== "string") {
    return fail("data.essentials.alertTargetIDs", "an AutoStop alert watches exactly one VM");
  }
  const vm = parseVmId(targets[0]);
  if (!vm) return fail("data.essentials.alertTargetIDs", "the alert's target is not a virtual machine");
  return {
    ok: true,
    value: { alertInstanceId: e.alertId, ruleName: e.alertRule, vm, condition: e.monitorCondition, firedAt: typeof e.firedDateTime === "string" ? e.firedDateTime : undefined },
  };
}

/** A value named in a refusal, safely: any nesting depth, never more than a few dozen characters. */
function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (value === null || typeof value !== "object") return String(value).slice(0, 40);
  return Array.isArray(value) ? "an array" : "an object";
}
