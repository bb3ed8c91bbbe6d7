/**
 * What the dashboard shows of finished runs: one small summary per run (state, counts, the failed VMs with their
 * reason), written once when the run finishes, so the page reads a few rows per day instead of every VM row.
 */
import type { FinishedRequest, RequestFinishedListener } from "../engine/ports";

export interface RunSummary {
  requestId: string;
  action: string;
  state: string;
  message: string;
  counts: FinishedRequest["counts"];
  completedAt: Date;
  failedVms: FinishedRequest["failedVms"];
  topErrorCodes: FinishedRequest["topErrorCodes"];
}

export interface RunSummaryStore {
  save(summary: RunSummary): Promise<void>;
  /** Summaries of runs that finished in [from, to), newest first. */
  recent(from: Date, to: Date): Promise<RunSummary[]>;
}

export class RunSummaryRecorder implements RequestFinishedListener {
  constructor(private readonly store: RunSummaryStore, private readonly now: () => Date) {}

  async requestFinished(f: FinishedRequest): Promise<void> {
    await this.store.save({
      requestId: f.requestId, action: f.action, state: f.state, message: f.message, counts: f.counts, completedAt: this.now(),
      failedVms: f.failedVms, topErrorCodes: f.topErrorCodes,
    });
  }
}
