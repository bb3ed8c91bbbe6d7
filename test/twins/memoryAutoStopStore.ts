/** The AutoStop store's in-memory twin: configurations, runs with an etag, and one outcome per VM and run. */
import type { AlertOutcome, AutoStopConfiguration, AutoStopRun, AutoStopStore } from "../../src/autostop/autoStopStore";

export class MemoryAutoStopStore implements AutoStopStore {
  readonly configurations = new Map<string, AutoStopConfiguration>();
  readonly runs = new Map<string, AutoStopRun>();
  readonly outcomes = new Map<string, Map<string, AlertOutcome>>();
  private version = 0;

  async getConfiguration(name: string) {
    return structuredClone(this.configurations.get(name));
  }

  async listConfigurations() {
    return [...this.configurations.values()].map((c) => structuredClone(c));
  }

  /** Saves to let through before the next one finds the row changed by somebody else (a concurrent writer). */
  interleaveBeforeSave?: () => Promise<void>;

  async saveConfiguration(c: AutoStopConfiguration) {
    const hook = this.interleaveBeforeSave;
    this.interleaveBeforeSave = undefined;
    if (hook) await hook();
    const current = this.configurations.get(c.name);
    if (c.etag ? current?.etag !== c.etag : current !== undefined) return false;
    this.configurations.set(c.name, { ...structuredClone(c), etag: String(++this.version) });
    return true;
  }

  async createRun(run: AutoStopRun) {
    if (this.runs.has(run.runId)) return false;
    this.runs.set(run.runId, { ...structuredClone(run), etag: String(++this.version) });
    return true;
  }

  async getRun(runId: string) {
    return structuredClone(this.runs.get(runId));
  }

  async updateRun(run: AutoStopRun, changes: Partial<AutoStopRun>) {
    const current = this.runs.get(run.runId);
    if (!current || current.etag !== run.etag) return false;
    this.runs.set(run.runId, { ...structuredClone({ ...run, ...changes }), etag: String(++this.version) });
    return true;
  }

  async writeOutcomes(runId: string, outcomes: AlertOutcome[]) {
    const rows = this.outcomes.get(runId) ?? new Map<string, AlertOutcome>();
    for (const o of outcomes) rows.set(o.vmId.toLowerCase(), structuredClone(o));
    this.outcomes.set(runId, rows);
  }

  async listOutcomes(runId: string) {
    return [...(this.outcomes.get(runId)?.values() ?? [])].map((o) => structuredClone(o));
  }
}
