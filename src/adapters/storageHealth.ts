/** The heartbeat's view of the app's storage: one cheap call per service, and the poison queues' message counts. */
import { storageAnswered } from "./storageClients";
import { type TableClient } from "@azure/data-tables";
import type { QueueServiceClient } from "@azure/storage-queue";
import type { StorageProbe } from "../operations/heartbeat";

export class StorageHealth implements StorageProbe {
  constructor(
    private readonly queues: QueueServiceClient,
    private readonly table: TableClient,
    /** The app's queues; each may have a `<name>-poison` twin the host made after five failed deliveries. */
    private readonly queueNames: string[],
  ) {}

  async probeQueues(): Promise<void> {
    await this.queues.getProperties();
  }

  async probeTables(): Promise<void> {
    try {
      await this.table.listEntities({ queryOptions: { filter: "PartitionKey eq 'probe'" } }).byPage({ maxPageSize: 1 }).next();
    } catch (error) {
      // An absent table still proves the service answers.
      if (!storageAnswered(error, 404)) throw error;
    }
  }

  async poisonCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    await Promise.all(this.queueNames.map(async (name) => {
      const poison = `${name}-poison`;
      try {
        out[poison] = (await this.queues.getQueueClient(poison).getProperties()).approximateMessagesCount ?? 0;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
        out[poison] = 0;
      }
    }));
    return out;
  }
}
