/** The desired-state store's in-memory twin: the newest request (by creation time) holds each VM. */
import type { ClaimResult, DesiredState, DesiredStateStore } from "../../src/engine/ports";

export class MemoryDesiredStateStore implements DesiredStateStore {
  readonly states = new Map<string, DesiredState>();

  /** Reads of one VM's desired state (what act-time checks cost). */
  gets = 0;

  /** Runs once right after the next claim landed: another request's work, interleaved at exactly that point. */
  afterNextClaim?: () => Promise<void>;

  async claim(entries: DesiredState[]): Promise<ClaimResult> {
    const result = this.record(entries);
    const hook = this.afterNextClaim;
    this.afterNextClaim = undefined;
    if (hook) await hook();
    return result;
  }

  private record(entries: DesiredState[]): ClaimResult {
    const result: ClaimResult = { replaced: [], keptByNewer: [] };
    for (const e of entries) {
      const held = this.states.get(e.vmKey);
      if (held && held.requestId !== e.requestId && held.requestCreatedAt > e.requestCreatedAt) {
        result.keptByNewer.push({ ...held });
        continue;
      }
      if (held) result.replaced.push(held);
      this.states.set(e.vmKey, { ...e });
    }
    return result;
  }

  async get(vmKey: string): Promise<DesiredState | undefined> {
    this.gets++;
    const state = this.states.get(vmKey);
    return state && { ...state };
  }

  async listByDesired(desired: DesiredState["desired"]): Promise<DesiredState[]> {
    return [...this.states.values()].filter((s) => s.desired === desired);
  }
}
