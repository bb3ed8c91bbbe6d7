/**
 * The only code that reads what Azure recorded about a VM's life: its Activity Log (Azure Monitor,
 * `@azure/arm-monitor`) and its current Resource Health (`@azure/arm-resourcehealth`), through the official clients
 * set up like every ARM client of the app (src/adapters/armClient.ts).
 */
import { MonitorClient } from "@azure/arm-monitor";
import { MicrosoftResourceHealth } from "@azure/arm-resourcehealth";
import { vmId, type VmRef } from "../domain/resourceId";
import type { VmActivity } from "../platformEvents/evictionVerdict";
import { armCall, armClientOptions, type ArmClientSettings } from "./armClient";

export interface VmAvailability {
  state: string;
  reasonType?: string;
  context?: string;
  summary?: string;
  since?: Date;
}

export class ArmPlatformEventsGateway {
  private readonly monitors = new Map<string, MonitorClient>();
  private readonly health = new Map<string, MicrosoftResourceHealth>();
  private readonly clientOptions: ReturnType<typeof armClientOptions>;

  constructor(private readonly settings: ArmClientSettings) {
    this.clientOptions = armClientOptions(settings);
  }

  /** The VM's Activity Log records between `from` and `to` (the API allows filtering by resource URI only this way). */
  async vmActivity(ref: VmRef, from: Date, to: Date): Promise<VmActivity[]> {
    const client = this.client(this.monitors, ref.subscriptionId, (s) => new MonitorClient(this.settings.credential, s, this.clientOptions));
    const filter = `eventTimestamp ge '${from.toISOString()}' and eventTimestamp le '${to.toISOString()}' and resourceUri eq '${vmId(ref)}'`;
    return armCall(async () => {
      const out: VmActivity[] = [];
      for await (const e of client.activityLogs.list(filter)) {
        if (!e.eventTimestamp) continue;
        out.push({
          time: new Date(e.eventTimestamp), category: e.category?.value ?? "", operationName: e.operationName?.value ?? "",
          caller: e.caller, status: e.status?.value, properties: e.properties,
        });
      }
      return out;
    }, this.settings.clock);
  }

  async vmAvailability(ref: VmRef): Promise<VmAvailability> {
    const client = this.client(this.health, ref.subscriptionId, (s) => new MicrosoftResourceHealth(this.settings.credential, s, this.clientOptions));
    return armCall(async () => {
      const status = await client.availabilityStatuses.getByResource(vmId(ref));
      const p = status.properties ?? {};
      return { state: p.availabilityState ?? "Unknown", reasonType: p.reasonType, context: p.context, summary: p.summary, since: p.occuredTime };
    }, this.settings.clock);
  }

  private client<T>(cache: Map<string, T>, subscriptionId: string, create: (subscriptionId: string) => T): T {
    let client = cache.get(subscriptionId);
    if (!client) cache.set(subscriptionId, (client = create(subscriptionId)));
    return client;
  }
}
