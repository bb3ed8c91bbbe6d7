/** The eviction store's in-memory twin. */
import type { EvictionRecord, EvictionStore } from "../../src/platformEvents/evictionStore";

export class MemoryEvictionStore implements EvictionStore {
  readonly records = new Map<string, EvictionRecord>();

  async get(vmKey: string) {
    return structuredClone(this.records.get(vmKey));
  }

  async save(record: EvictionRecord) {
    this.records.set(record.vmKey, structuredClone(record));
  }

  async listAwaitingRecovery() {
    return [...this.records.values()].filter((r) => r.restartRequestId && !r.recoveredAt).map((r) => structuredClone(r));
  }
}
