/** Every Microsoft.Insights call AutoStop makes (adapter: src/adapters/armMetricAlerts.ts). Failures are thrown as ArmRequestError. */
import type { MetricAlert } from "./alertRule";

export interface ActionGroupInfo {
  id: string;
  enabled: boolean;
  /** Webhook receivers, with the URL's origin and path only (the query holds the function key). */
  webhooks: Array<{ name: string; target: string; useCommonAlertSchema: boolean }>;
}

export interface MetricAlertGateway {
  /** The metric alerts of one resource group (the API returns them all in one page); [] when the group is gone. */
  listInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<MetricAlert[]>;
  get(subscriptionId: string, resourceGroup: string, name: string): Promise<MetricAlert | undefined>;
  /** Create or replace (PUT is idempotent for a given name). */
  put(alert: MetricAlert): Promise<void>;
  /** Gone afterwards; deleting an absent alert succeeds. */
  delete(alert: Pick<MetricAlert, "subscriptionId" | "resourceGroup" | "name">): Promise<void>;
  getActionGroup(id: string): Promise<ActionGroupInfo | undefined>;
}

/** One alert instance as Azure Monitor's Alerts Management keeps it (what really fired, whatever a body claims). */
export interface AlertInstance {
  id: string;
  /** Resource id of the rule that raised it. */
  alertRuleId: string;
  targetResourceId: string;
  monitorCondition: "Fired" | "Resolved";
  alertState: string;
}

/** Microsoft.AlertsManagement/alerts (adapter: src/adapters/armAlertsManagement.ts). Failures are thrown as ArmRequestError. */
export interface AlertInstanceGateway {
  /** The instance named by a notification's `essentials.alertId`; undefined when Azure has no such alert. */
  get(alertId: string): Promise<AlertInstance | undefined>;
}
