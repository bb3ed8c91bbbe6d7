/** The schedule store's in-memory twin. */
import type { ScheduleInput } from "../../src/schedules/schedule";
import type { ScheduleStore, StoredSchedule } from "../../src/schedules/scheduleStore";

export class MemoryScheduleStore implements ScheduleStore {
  readonly rows = new Map<string, StoredSchedule>();

  async get(name: string) {
    return structuredClone(this.rows.get(name));
  }

  async list() {
    return [...this.rows.values()].map((r) => structuredClone(r)).sort((a, b) => a.input.name.localeCompare(b.input.name));
  }

  async put(input: ScheduleInput, at: Date) {
    const created = !this.rows.has(input.name);
    this.rows.set(input.name, structuredClone({ input, updatedAt: at }));
    return { created };
  }

  async delete(name: string) {
    return this.rows.delete(name);
  }
}
