/**
 * What Azure Monitor does when a metric alert changes state: evaluate each enabled rule every evaluationFrequency over
 * its windowSize (in simulated time), and POST the common alert schema to every webhook receiver of the rule's action
 * groups, retrying a delivery that got 408, 429, 5xx or no answer (after 10 s, then 100 s of simulated time).
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { isLoopbackHost } from "../../config";
import { alertInstanceId, durationMs, meets, type Criterion, type StoredResource } from "./insights-model";
import { powerStateOf, type SimVm } from "./operations";
import type { InsightsModel } from "./insights-model";
import type { Clock } from "./clock";
import type { AlertsManagement } from "./alerts-management";

/** What the alert evaluator needs of the simulator (so this module does not depend on the whole simulator). */
export interface AlertWebhookHost {
  now(): number;
  readonly clock: Pick<Clock, "timeScale">;
  readonly insights: InsightsModel;
  readonly alertsManagement: AlertsManagement;
  vmById(id: string): SimVm | undefined;
  secureWebhookToken?: (receiver: { identifierUri: string; objectId?: string; tenantId?: string }) => string;
}

/** A webhook receiver of an action group (2023-01-01); `useAadAuth` sends an Entra token for `identifierUri`. */
interface WebhookReceiver {
  serviceUri: string;
  useCommonAlertSchema?: boolean;
  useAadAuth?: boolean;
  objectId?: string;
  identifierUri?: string;
  tenantId?: string;
}

export interface Delivery {
  time: string;
  ruleId: string;
  vmId: string;
  monitorCondition: "Fired" | "Resolved";
  attempt: number;
  /** Origin and path only: the query holds the function key. */
  target: string;
  status?: number;
  error?: string;
}

/** Simulated seconds before each retry of a failed delivery. */
const RETRY_AFTER_SECONDS = [10, 100];

export class AlertWebhooks {
  readonly deliveries: Delivery[] = [];
  private timer?: NodeJS.Timeout;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(private readonly sim: AlertWebhookHost) {}

  /** Evaluates on a real-time tick (every `tickMs`) in simulated time; stopped by stop(). */
  start(tickMs = 200): void {
    this.timer ??= setInterval(() => this.evaluate(this.sim.now()), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }

  /** Every rule due by `now` is evaluated once; a change of state is delivered. */
  evaluate(now: number): void {
    const insights = this.sim.insights;
    for (const [key, rule] of insights.alerts) {
      const state = insights.states.get(key);
      if (!state || now < state.nextEvaluationAt) continue;
      const p = rule.properties;
      const frequency = durationMs(String(p.evaluationFrequency));
      state.nextEvaluationAt = now + frequency;
      state.lastEvaluatedAt = now;
      if (p.enabled === false) continue;
      const vm = this.sim.vmById(String((p.scopes as string[])[0]).replace(/\/+$/, ""));
      // No data: a VM that is not running emits no metric, so the rule neither fires nor resolves.
      if (!vm || powerStateOf(vm, now) !== "running") continue;
      const criterion = ((p.criteria as { allOf: Criterion[] }).allOf)[0]!;
      const value = insights.aggregate(vm.key, criterion, durationMs(String(p.windowSize)), now);
      if (value === undefined) continue;
      state.lastValue = value;
      const firing = meets(value, criterion.operator, criterion.threshold);
      if (firing && state.monitorCondition !== "Fired") {
        state.monitorCondition = "Fired";
        state.firedAt = now;
        state.firedCount += 1;
        state.alertInstanceId = alertInstanceId(rule.subscriptionId, rule.id, now);
        this.notify(rule, "Fired", now, value);
      } else if (!firing && state.monitorCondition === "Fired" && p.autoMitigate !== false) {
        state.monitorCondition = "Resolved";
        if (state.alertInstanceId) this.sim.alertsManagement.resolved(state.alertInstanceId, now);
        this.notify(rule, "Resolved", now, value);
      }
    }
  }

  /** Sends a notification of this rule now (the control API's way to make an alert fire again, or resolve). */
  notify(rule: StoredResource, condition: "Fired" | "Resolved", now: number, value?: number): number {
    const state = this.sim.insights.states.get(rule.id.toLowerCase());
    if (state && !state.alertInstanceId) state.alertInstanceId = alertInstanceId(rule.subscriptionId, rule.id, now);
    const instanceId = state?.alertInstanceId ?? alertInstanceId(rule.subscriptionId, rule.id, now);
    // Azure Monitor records the alert instance (Alerts Management) before it notifies anyone.
    if (condition === "Fired") {
      this.sim.alertsManagement.fired({
        id: instanceId, name: rule.name, ruleId: rule.id, targetResource: String((rule.properties.scopes as string[])[0]), severity: `Sev${String(rule.properties.severity)}`, startedAt: state?.firedAt ?? now,
      });
    }
    const payload = commonAlertSchema(rule, condition, instanceId, state?.firedAt ?? now, now, value);
    let sent = 0;
    for (const action of (rule.properties.actions as Array<{ actionGroupId: string; webHookProperties?: Record<string, string> }> | undefined) ?? []) {
      const group = this.sim.insights.actionGroups.get(action.actionGroupId.toLowerCase());
      if (!group || group.properties.enabled === false) continue;
      for (const receiver of (group.properties.webhookReceivers as WebhookReceiver[] | undefined) ?? []) {
        const body = { ...payload, data: { ...payload.data, customProperties: action.webHookProperties ?? null } };
        this.deliver(receiver, body, rule, condition, 1);
        sent += 1;
      }
    }
    return sent;
  }

  private deliver(receiver: WebhookReceiver, body: unknown, rule: StoredResource, condition: "Fired" | "Resolved", attempt: number): void {
    const url = new URL(receiver.serviceUri);
    const record: Delivery = {
      time: new Date(this.sim.now()).toISOString(), ruleId: rule.id, vmId: String((rule.properties.scopes as string[])[0]),
      monitorCondition: condition, attempt, target: `${url.origin}${url.pathname}`,
    };
    this.deliveries.push(record);
    const payload = JSON.stringify(body);
    // A secure webhook carries a token Azure Monitor gets from Entra ID for the receiver's application, fresh per call.
    const authorization: Record<string, string> = {};
    if (receiver.useAadAuth) {
      const token = receiver.identifierUri ? this.sim.secureWebhookToken?.({ identifierUri: receiver.identifierUri, objectId: receiver.objectId, tenantId: receiver.tenantId }) : undefined;
      if (!token) {
        record.error = "no Entra token for the secure webhook (identifierUri missing or no issuer)";
        return;
      }
      authorization.authorization = `Bearer ${token}`;
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(url, {
      method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...authorization },
      rejectUnauthorized: !(url.protocol === "https:" && isLoopbackHost(url.hostname)), timeout: 10_000,
    }, (res) => {
      res.resume();
      record.status = res.statusCode;
      const code = res.statusCode ?? 0;
      if (code === 408 || code === 429 || code >= 500) this.retry(receiver, body, rule, condition, attempt);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error) => {
      record.error = error.message;
      this.retry(receiver, body, rule, condition, attempt);
    });
    req.end(payload);
  }

  private retry(receiver: WebhookReceiver, body: unknown, rule: StoredResource, condition: "Fired" | "Resolved", attempt: number): void {
    const after = RETRY_AFTER_SECONDS[attempt - 1];
    if (after === undefined) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.deliver(receiver, body, rule, condition, attempt + 1);
    }, (after * 1000) / this.sim.clock.timeScale);
    timer.unref();
    this.pending.add(timer);
  }
}

/** Azure Monitor's common alert schema for a metric alert on one VM (essentials + a metric alertContext). */
export function commonAlertSchema(rule: StoredResource, condition: "Fired" | "Resolved", instanceId: string, firedAt: number, now: number, value?: number) {
  const p = rule.properties;
  const criterion = ((p.criteria as { allOf: Array<Criterion & { metricNamespace?: string; name?: string }> }).allOf)[0]!;
  const windowMs = durationMs(String(p.windowSize));
  return {
    schemaId: "azureMonitorCommonAlertSchema",
    data: {
      essentials: {
        alertId: instanceId,
        alertRule: rule.name,
        severity: `Sev${String(p.severity)}`,
        signalType: "Metric",
        monitorCondition: condition,
        monitoringService: "Platform",
        alertTargetIDs: [String((p.scopes as string[])[0]).toLowerCase()],
        configurationItems: [String((p.scopes as string[])[0]).split("/").pop()],
        originAlertId: `${rule.subscriptionId}_${rule.resourceGroup}_microsoft.insights_metricAlerts_${rule.name}_${firedAt}`,
        firedDateTime: new Date(firedAt).toISOString(),
        resolvedDateTime: condition === "Resolved" ? new Date(now).toISOString() : undefined,
        description: p.description ?? "",
        essentialsVersion: "1.0",
        alertContextVersion: "1.0",
      },
      alertContext: {
        properties: null,
        conditionType: "SingleResourceMultipleMetricCriteria",
        condition: {
          windowSize: p.windowSize,
          allOf: [{
            metricName: criterion.metricName, metricNamespace: criterion.metricNamespace ?? "Microsoft.Compute/virtualMachines",
            operator: criterion.operator, threshold: String(criterion.threshold), timeAggregation: criterion.timeAggregation,
            dimensions: [], metricValue: value ?? null,
          }],
          windowStartTime: new Date(now - windowMs).toISOString(),
          windowEndTime: new Date(now).toISOString(),
        },
      },
    },
  };
}
