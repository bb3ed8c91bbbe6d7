/**
 * Resource groups' tags, for schedules applied to a whole group: one paged `GET /subscriptions/{id}/resourcegroups`
 * per subscription with the official @azure/arm-resources client (retries off, as every ARM client here).
 */
import { ResourceManagementClient } from "@azure/arm-resources";
import { armCall, armClientOptions, type ArmClientSettings } from "./armClient";

export class ArmResourceGroups {
  private readonly clients = new Map<string, ResourceManagementClient>();

  constructor(private readonly settings: ArmClientSettings) {}

  private client(subscriptionId: string): ResourceManagementClient {
    let client = this.clients.get(subscriptionId);
    if (!client) {
      client = new ResourceManagementClient(this.settings.credential, subscriptionId, armClientOptions(this.settings));
      this.clients.set(subscriptionId, client);
    }
    return client;
  }

  /** One resource group's tags (`GET /subscriptions/{id}/resourcegroups/{name}`), for a resource-group scope. */
  async tagsOfGroup(subscriptionId: string, resourceGroup: string): Promise<Record<string, string>> {
    return armCall(async () => (await this.client(subscriptionId).resourceGroups.get(resourceGroup)).tags ?? {}, this.settings.clock);
  }

  /** Each resource group's tags, keyed by the group's name in lower case. */
  async tagsByGroup(subscriptionId: string): Promise<Map<string, Record<string, string>>> {
    const c = this.client(subscriptionId);
    return armCall(async () => {
      const out = new Map<string, Record<string, string>>();
      for await (const rg of c.resourceGroups.list()) if (rg.name) out.set(rg.name.toLowerCase(), rg.tags ?? {});
      return out;
    }, this.settings.clock);
  }
}
