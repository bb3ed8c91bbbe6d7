/** The desired-state store's in-memory twin: the newest request (by creation time) holds each VM. */
import type { DesiredState, DesiredStateStore } from "../../src/engine/ports";

export class MemoryDesiredStateStore implements DesiredStateStore {
  readonly states = new Map<string, DesiredState>();

  async claim(entries: DesiredState[]): Promise<DesiredState[]> {
    const replaced: DesiredState[] = [];
    for (const e of entries) {
      const held = this.states.get(e.vmKey);
      if (held && held.requestId !== e.requestId && held.requestCreatedAt > e.requestCreatedAt) continue;
      if (held) replaced.push(held);
      this.states.set(e.vmKey, { ...e });
    }
    return replaced;
  }

  async get(vmKey: string): Promise<DesiredState | undefined> {
    return this.states.get(vmKey);
  }

  async listByDesired(desired: DesiredState["desired"]): Promise<DesiredState[]> {
    return [...this.states.values()].filter((s) => s.desired === desired);
  }
}
