/** In-memory twin of AlertInstanceGateway (Microsoft.AlertsManagement/alerts): instances the test raises and resolves. */
import type { AlertInstance, AlertInstanceGateway } from "../../src/autostop/alertGateway";

export class MemoryAlertInstances implements AlertInstanceGateway {
  readonly instances = new Map<string, AlertInstance>();
  reads = 0;

  fire(instance: Omit<AlertInstance, "monitorCondition" | "alertState">): AlertInstance {
    const created: AlertInstance = { ...instance, monitorCondition: "Fired", alertState: "New" };
    this.instances.set(instance.id.toLowerCase(), created);
    return created;
  }

  resolve(id: string): void {
    const found = this.instances.get(id.toLowerCase());
    if (found) found.monitorCondition = "Resolved";
  }

  async get(alertId: string): Promise<AlertInstance | undefined> {
    this.reads += 1;
    const found = this.instances.get(alertId.toLowerCase());
    return found && { ...found };
  }
}
