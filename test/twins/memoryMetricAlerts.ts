/**
 * Microsoft.Insights' in-memory twin for AutoStop: metric alerts by id, one action group, every accepted write logged,
 * and failures to answer next, so a test can replay throttling and outages deterministically.
 */
import { ArmRequestError, type ArmFailure } from "../../src/domain/armError";
import type { ActionGroupInfo, MetricAlertGateway } from "../../src/autostop/alertGateway";
import { alertId, type MetricAlert } from "../../src/autostop/alertRule";

export class MemoryMetricAlerts implements MetricAlertGateway {
  readonly alerts = new Map<string, MetricAlert>();
  readonly writes: { method: "PUT" | "DELETE"; id: string }[] = [];
  readonly actionGroups = new Map<string, ActionGroupInfo>();
  /** Calls to refuse next (any operation), with this failure. */
  refuseNext: ArmFailure[] = [];
  /** Writes (PUT, DELETE) to refuse next, with this failure. */
  refuseNextWrite: ArmFailure[] = [];

  async listInResourceGroup(subscriptionId: string, resourceGroup: string): Promise<MetricAlert[]> {
    await this.answer();
    const prefix = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/`.toLowerCase();
    return [...this.alerts].filter(([id]) => id.startsWith(prefix)).map(([, a]) => structuredClone(a));
  }

  async get(subscriptionId: string, resourceGroup: string, name: string): Promise<MetricAlert | undefined> {
    await this.answer();
    const found = this.alerts.get(alertId({ subscriptionId, resourceGroup, name }).toLowerCase());
    return found && structuredClone(found);
  }

  async put(alert: MetricAlert): Promise<void> {
    await this.answer(true);
    this.writes.push({ method: "PUT", id: alertId(alert) });
    this.alerts.set(alertId(alert).toLowerCase(), structuredClone(alert));
  }

  async delete(alert: Pick<MetricAlert, "subscriptionId" | "resourceGroup" | "name">): Promise<void> {
    await this.answer(true);
    this.writes.push({ method: "DELETE", id: alertId(alert) });
    this.alerts.delete(alertId(alert).toLowerCase());
  }

  async getActionGroup(id: string): Promise<ActionGroupInfo | undefined> {
    await this.answer();
    return this.actionGroups.get(id.toLowerCase());
  }

  private async answer(write = false): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const refusal = this.refuseNext.shift() ?? (write ? this.refuseNextWrite.shift() : undefined);
    if (refusal) throw new ArmRequestError(refusal);
  }
}
