/** Where schedules are kept: `schedulestoretable`, one partition, one row per schedule (its body as written). */
import type { TableClient } from "@azure/data-tables";
import type { ScheduleInput } from "../schedules/schedule";
import type { ScheduleStore, StoredSchedule } from "../schedules/scheduleStore";
import { createdOnFirstUse, entityOrUndefined, storageAnswered, tableDate } from "./storageClients";

export const SCHEDULES_TABLE = "schedulestoretable";
const PARTITION = "schedule";

export class TableScheduleStore implements ScheduleStore {
  private readonly created: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.created = createdOnFirstUse(table);
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    await this.created();
    const e = await entityOrUndefined<{ body: string; updatedAt: unknown }>(this.table, PARTITION, name);
    return e && fromEntity(e);
  }

  async list(): Promise<StoredSchedule[]> {
    await this.created();
    const out: StoredSchedule[] = [];
    for await (const e of this.table.listEntities<{ body: string; updatedAt: unknown }>({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'` } })) out.push(fromEntity(e));
    return out.sort((a, b) => a.input.name.localeCompare(b.input.name));
  }

  async put(input: ScheduleInput, at: Date): Promise<{ created: boolean }> {
    await this.created();
    const entity = { partitionKey: PARTITION, rowKey: input.name, body: JSON.stringify(input), updatedAt: at };
    try {
      await this.table.createEntity(entity);
      return { created: true };
    } catch (error) {
      if (!storageAnswered(error, 409)) throw error;
      await this.table.upsertEntity(entity, "Replace");
      return { created: false };
    }
  }

  async delete(name: string): Promise<boolean> {
    await this.created();
    try {
      await this.table.deleteEntity(PARTITION, name);
      return true;
    } catch (error) {
      if (storageAnswered(error, 404)) return false;
      throw error;
    }
  }
}

function fromEntity(e: { body: string; updatedAt: unknown }): StoredSchedule {
  return { input: JSON.parse(String(e.body)) as ScheduleInput, updatedAt: tableDate(e.updatedAt) };
}
