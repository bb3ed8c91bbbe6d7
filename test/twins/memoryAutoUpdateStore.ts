/**
 * In-memory twin of the self-update attempts table (src/adapters/tableAutoUpdateStore.ts), with its etag semantics:
 * every write gives the row a new etag, and a conditional write against an older one loses, as storage answers 412.
 */
import type { AutoUpdateStore, UpdateAttempt } from "../../src/autoUpdate/updateDeps";

export class MemoryAutoUpdateStore implements AutoUpdateStore {
  private readonly rows = new Map<string, UpdateAttempt>();
  private version = 0;
  /** Conditional writes that lost. */
  lostWrites = 0;

  async save(attempt: UpdateAttempt): Promise<void> {
    this.put(attempt);
  }

  async get(attemptId: string): Promise<UpdateAttempt | undefined> {
    const row = this.rows.get(attemptId);
    return row && structuredClone(row);
  }

  async replaceIfUnchanged(attempt: UpdateAttempt): Promise<UpdateAttempt | undefined> {
    const row = this.rows.get(attempt.attemptId);
    if (!row || row.etag !== attempt.etag) {
      this.lostWrites++;
      return undefined;
    }
    return structuredClone(this.put(attempt));
  }

  async inFlight(): Promise<UpdateAttempt[]> {
    return [...this.rows.values()].filter((a) => a.state === "Deployed" || a.state === "RollingBack")
      .sort((a, b) => (b.deployedAt?.getTime() ?? 0) - (a.deployedAt?.getTime() ?? 0)).map((a) => structuredClone(a));
  }

  async forVersion(version: string): Promise<UpdateAttempt[]> {
    return [...this.rows.values()].filter((a) => a.toVersion === version).sort((a, b) => b.at.getTime() - a.at.getTime()).map((a) => structuredClone(a));
  }

  all(): UpdateAttempt[] {
    return [...this.rows.values()].map((a) => structuredClone(a));
  }

  private put(attempt: UpdateAttempt): UpdateAttempt {
    const row = { ...structuredClone(attempt), etag: `W/"${++this.version}"` };
    this.rows.set(attempt.attemptId, row);
    return row;
  }
}
