/** The schedule evaluator's state store's in-memory twin. */
import type { Override } from "../../src/schedules/decision";
import type { ScheduleStateStore, VmScheduleState } from "../../src/schedules/scheduleStateStore";

export class MemoryScheduleStateStore implements ScheduleStateStore {
  readonly rows = new Map<string, VmScheduleState>();
  tick: Date | undefined;
  readonly overrideRows = new Map<string, Override>();

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

  async overrides() {
    return new Map([...this.overrideRows].map(([k, o]) => [k, structuredClone(o)]));
  }

  async getOverride(vmKey: string) {
    return structuredClone(this.overrideRows.get(vmKey));
  }

  async putOverride(vmKey: string, o: Override) {
    this.overrideRows.set(vmKey, structuredClone(o));
  }

  readonly onceIds = new Set<string>();

  async once(kind: "link" | "notice", id: string) {
    const key = `${kind}|${id}`;
    if (this.onceIds.has(key)) return false;
    this.onceIds.add(key);
    return true;
  }

  async deleteOverride(vmKey: string) {
    return this.overrideRows.delete(vmKey);
  }
}
