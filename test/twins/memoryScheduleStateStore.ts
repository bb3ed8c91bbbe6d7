/** The schedule evaluator's state store's in-memory twin. */
import type { ScheduleStateStore, VmScheduleState } from "../../src/schedules/scheduleStateStore";

export class MemoryScheduleStateStore implements ScheduleStateStore {
  readonly rows = new Map<string, VmScheduleState>();
  tick: Date | undefined;

  async loadAll() {
    return [...this.rows.values()].map((r) => structuredClone(r));
  }

  async get(vmKey: string) {
    return structuredClone(this.rows.get(vmKey));
  }

  async save(states: VmScheduleState[]) {
    for (const s of states) this.rows.set(s.vmKey, structuredClone(s));
  }

  async lastTick() {
    return this.tick && new Date(this.tick);
  }

  async saveTick(at: Date) {
    this.tick = new Date(at);
  }
}
