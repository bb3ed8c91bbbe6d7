/**
 * The only code that reads Microsoft.AlertsManagement: an alert instance by its id (Alerts_GetById, api-version
 * 2019-03-01, `GET /{scope}/providers/Microsoft.AlertsManagement/alerts/{alertId}`), through the official
 * `@azure/arm-resources` client's generic getById, set up like every ARM client of the app. docs/autostop.md.
 */
import { ResourceManagementClient } from "@azure/arm-resources";
import type { AlertInstance, AlertInstanceGateway } from "../autostop/alertGateway";
import { isArmRequestError } from "../domain/armError";
import { armCall, armClientOptions, type ArmClientSettings } from "./armClient";

export const ALERTS_MANAGEMENT_API_VERSION = "2019-03-01";
const ALERT_ID = /^\/subscriptions\/([0-9a-f-]{36})\/providers\/Microsoft\.AlertsManagement\/alerts\/([0-9a-f-]{36})$/i;

export class ArmAlertsManagementGateway implements AlertInstanceGateway {
  private readonly clients = new Map<string, ResourceManagementClient>();

  constructor(private readonly settings: ArmClientSettings) {}

  async get(alertId: string): Promise<AlertInstance | undefined> {
    const m = ALERT_ID.exec(alertId);
    if (!m) return undefined;
    try {
      // The SDK's getById puts its own "/" before the id, so the id goes without its leading one.
      const found = await armCall(() => this.client(m[1]!).resources.getById(alertId.slice(1), ALERTS_MANAGEMENT_API_VERSION), this.settings.clock);
      const e = ((found.properties ?? {}) as { essentials?: Record<string, unknown> }).essentials ?? {};
      const condition = e.monitorCondition === "Fired" ? "Fired" : "Resolved";
      return { id: alertId, alertRuleId: String(e.alertRule ?? ""), targetResourceId: String(e.targetResource ?? ""), monitorCondition: condition, alertState: String(e.alertState ?? "") };
    } catch (error) {
      if (isArmRequestError(error) && error.failure.status === 404) return undefined;
      throw error;
    }
  }

  private client(subscriptionId: string): ResourceManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) this.clients.set(subscriptionId, (client = new ResourceManagementClient(this.settings.credential, subscriptionId, armClientOptions(this.settings))));
    return client;
  }
}
