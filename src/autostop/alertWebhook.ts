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

export type NotificationResult = { ok: true; value: AlertNotification } | { ok: false; field: string; message: string };

export function parseAlertNotification(body: unknown): NotificationResult {
  const fail = (field: string, message: string): NotificationResult => ({ ok: false, field, message });
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!obj(body)) return fail("(body)", "expected Azure Monitor's common alert schema (a JSON object)");
  if (body.schemaId !== "azureMonitorCommonAlertSchema") return fail("schemaId", `must be "azureMonitorCommonAlertSchema": turn on the common alert schema for the webhook`);
  const data = body.data;
  if (!obj(data) || !obj(data.essentials)) return fail("data.essentials", "missing");
  const e = data.essentials;
  if (e.signalType !== "Metric") return fail("data.essentials.signalType", `AutoStop acts on metric alerts only, got ${JSON.stringify(e.signalType)}`);
  if (e.monitorCondition !== "Fired" && e.monitorCondition !== "Resolved") return fail("data.essentials.monitorCondition", `must be "Fired" or "Resolved"`);
  if (typeof e.alertRule !== "string" || !e.alertRule) return fail("data.essentials.alertRule", "missing");
  if (typeof e.alertId !== "string" || !e.alertId) return fail("data.essentials.alertId", "missing");
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
