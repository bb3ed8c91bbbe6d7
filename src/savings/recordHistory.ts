/**
 * Keeps the savings history: when a start or stop run finishes, its VM rows are read once and what they say about each
 * VM's power (history.ts) is stored compactly, so a savings query over a month reads a few entities per run instead
 * of every VM row of every run.
 */
import type { RequestFinishedListener, RequestStore, FinishedRequest } from "../engine/ports";
import { historyEventsOf } from "./history";
import type { SavingsHistoryStore } from "./ports";

export class SavingsHistoryRecorder implements RequestFinishedListener {
  constructor(private readonly requests: Pick<RequestStore, "getRequest" | "listVmRows">, private readonly history: SavingsHistoryStore) {}

  async requestFinished(finished: FinishedRequest): Promise<void> {
    if (finished.action !== "start" && finished.action !== "stop") return;
    const record = await this.requests.getRequest(finished.requestId);
    if (!record) return;
    const events = historyEventsOf(record, await this.requests.listVmRows(finished.requestId));
    if (events.length > 0) await this.history.append({ requestId: record.requestId, createdAt: record.createdAt }, events);
  }
}
