/**
 * The only code that talks to Microsoft.Insights for AutoStop: metric alerts (2018-03-01) and the action group they
 * notify, through the official `@azure/arm-monitor` client set up like every ARM client of the app.
 */
import { MonitorClient, type MetricAlertResource, type MetricAlertSingleResourceMultipleMetricCriteria } from "@azure/arm-monitor";
import type { ActionGroupInfo, MetricAlertGateway } from "../autostop/alertGateway";
import type { MetricAlert } from "../autostop/alertRule";
import { isArmRequestError } from "../domain/armError";
import { armCall, armClientOptions, type ArmClientSettings } from "./armClient";

export class ArmMetricAlertGateway implements MetricAlertGateway {
  private readonly clients = new Map<string, MonitorClient>();
  private readonly clientOptions: ReturnType<typeof armClientOptions>;

  constructor(private readonly settings: ArmClientSettings) {
    this.clientOptions = armClientOptions(settings);
  }

  async listInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<MetricAlert[]> {
    return this.orUndefinedWhenGone(async () => {
      const out: MetricAlert[] = [];
      for await (const r of this.client(subscriptionId).metricAlerts.listByResourceGroup(resourceGroup)) out.push(fromResource(r, subscriptionId, resourceGroup));
      return out;
    }).then((found) => found ?? []);
  }

  async get(subscriptionId: string, resourceGroup: string, name: string): Promise<MetricAlert | undefined> {
    return this.orUndefinedWhenGone(async () => fromResource(await this.client(subscriptionId).metricAlerts.get(resourceGroup, name), subscriptionId, resourceGroup));
  }

  async put(alert: MetricAlert): Promise<void> {
    await armCall(() => this.client(alert.subscriptionId).metricAlerts.createOrUpdate(alert.resourceGroup, alert.name, toResource(alert)), this.settings.clock);
  }

  async delete(alert: Pick<MetricAlert, "subscriptionId" | "resourceGroup" | "name">): Promise<void> {
    await this.orUndefinedWhenGone(() => this.client(alert.subscriptionId).metricAlerts.delete(alert.resourceGroup, alert.name));
  }

  async getActionGroup(id: string): Promise<ActionGroupInfo | undefined> {
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Insights\/actionGroups\/([^/]+)$/i.exec(id);
    if (!m) return undefined;
    const group = await this.orUndefinedWhenGone(() => this.client(m[1]!).actionGroups.get(m[2]!, m[3]!));
    if (!group) return undefined;
    return {
      id,
      enabled: group.enabled !== false,
      webhooks: (group.webhookReceivers ?? []).map((w) => ({ name: w.name, target: withoutQuery(w.serviceUri), useCommonAlertSchema: w.useCommonAlertSchema === true })),
    };
  }

  /** A 404 (the alert, or its whole resource group, is gone) is an answer here, not a failure. */
  private async orUndefinedWhenGone<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await armCall(call, this.settings.clock);
    } catch (error) {
      if (isArmRequestError(error) && error.failure.status === 404) return undefined;
      throw error;
    }
  }

  private client(subscriptionId: string): MonitorClient {
    let client = this.clients.get(subscriptionId);
    if (!client) this.clients.set(subscriptionId, (client = new MonitorClient(this.settings.credential, subscriptionId, this.clientOptions)));
    return client;
  }
}

function toResource(a: MetricAlert): MetricAlertResource {
  const criteria: MetricAlertSingleResourceMultipleMetricCriteria = {
    odataType: "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
    allOf: a.criteria.map((c, i) => ({
      criterionType: "StaticThresholdCriterion", name: `condition${i + 1}`, metricName: c.metricName, metricNamespace: c.metricNamespace,
      operator: c.operator, threshold: c.threshold, timeAggregation: c.timeAggregation,
    })),
  };
  return {
    location: "global", tags: a.tags, description: a.description, severity: a.severity, enabled: a.enabled, scopes: a.scopes,
    evaluationFrequency: a.evaluationFrequency, windowSize: a.windowSize, criteria, autoMitigate: a.autoMitigate,
    actions: a.actionGroupIds.map((actionGroupId) => ({ actionGroupId })),
  };
}

function fromResource(r: MetricAlertResource, subscriptionId: string, resourceGroup: string): MetricAlert {
  const allOf = (r.criteria as Partial<MetricAlertSingleResourceMultipleMetricCriteria>).allOf ?? [];
  return {
    subscriptionId, resourceGroup, name: r.name ?? "", tags: r.tags ?? {}, description: r.description ?? "", severity: r.severity, enabled: r.enabled,
    scopes: r.scopes ?? [], evaluationFrequency: r.evaluationFrequency, windowSize: r.windowSize,
    criteria: allOf.map((c) => ({ metricName: c.metricName, metricNamespace: c.metricNamespace, operator: String(c.operator), threshold: c.threshold, timeAggregation: String(c.timeAggregation) })),
    autoMitigate: r.autoMitigate !== false, actionGroupIds: (r.actions ?? []).map((x) => x.actionGroupId ?? ""),
  };
}

function withoutQuery(uri: string): string {
  const q = uri.indexOf("?");
  return q < 0 ? uri : uri.slice(0, q);
}
