/**
 * One `RequestFinished` event per finished request: what the deployment's alert rule (infra/monitoring/alerts.bicep)
 * queries, with the properties it reads (state, action, topErrorCodes, statusUrl).
 */
import type { FinishedRequest, RequestFinishedListener } from "../engine/ports";
import type { Telemetry } from "./telemetry";

export class RequestFinishedEvent implements RequestFinishedListener {
  constructor(private readonly telemetry: Telemetry, private readonly appBaseUrl?: string) {}

  async requestFinished(r: FinishedRequest): Promise<void> {
    this.telemetry.event("RequestFinished", {
      requestId: r.requestId,
      action: r.action,
      state: r.state,
      total: r.counts.total,
      succeeded: r.counts.Succeeded,
      alreadyInState: r.counts.AlreadyInState,
      failed: r.counts.Failed,
      skipped: r.counts.Skipped,
      superseded: r.counts.Superseded,
      topErrorCodes: r.topErrorCodes.map((e) => `${e.code}:${e.count}`).join(","),
      statusUrl: this.appBaseUrl ? `${this.appBaseUrl}/api/requests/${r.requestId}` : undefined,
      message: r.message.slice(0, 1000),
    });
  }
}
