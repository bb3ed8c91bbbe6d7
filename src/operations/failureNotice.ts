/**
 * Failure notices without Azure Monitor: one message per request that ends Failed or PartiallySucceeded, posted to an
 * incoming webhook (Microsoft Teams and Slack both take `{"text": ...}` with markdown). It says what failed and why and
 * links the status URL. Bounded retries; it never throws and never holds up the run (which has already ended). The URL
 * is a secret: only its origin is ever logged.
 */
import type { Clock, FinishedRequest, RequestFinishedListener } from "../engine/ports";

/** Posts JSON; resolves with the HTTP status (throws on a network error or timeout). */
export interface WebhookPoster {
  post(url: string, body: unknown): Promise<number>;
}

export interface FailureNoticeSettings {
  webhookUrl: string;
  /** Where people reach the app; the status URL is `${appBaseUrl}/api/requests/<id>`. */
  appBaseUrl?: string;
  /** Attempts in all, and the wait before each retry (seconds, doubling). */
  attempts: number;
  firstRetrySeconds: number;
}

export class FailureNotifier implements RequestFinishedListener {
  constructor(
    private readonly poster: WebhookPoster,
    private readonly clock: Clock,
    private readonly settings: FailureNoticeSettings,
    private readonly log: (message: string) => void,
  ) {}

  async requestFinished(request: FinishedRequest): Promise<void> {
    if (request.state !== "Failed" && request.state !== "PartiallySucceeded") return;
    const body = noticeBody(request, this.settings.appBaseUrl);
    const target = new URL(this.settings.webhookUrl).origin;
    for (let attempt = 1; attempt <= this.settings.attempts; attempt++) {
      let outcome: string;
      try {
        const status = await this.poster.post(this.settings.webhookUrl, body);
        if (status >= 200 && status < 300) return;
        outcome = `HTTP ${status}`;
        // A 4xx other than throttling will not get better by asking again.
        if (status < 500 && status !== 429 && status !== 408) {
          this.log(`request ${request.requestId}: the failure notice to ${target} was refused (${outcome}); not retried`);
          return;
        }
      } catch (error) {
        outcome = (error as Error).message.replace(this.settings.webhookUrl, target);
      }
      if (attempt === this.settings.attempts) {
        this.log(`request ${request.requestId}: the failure notice to ${target} failed ${attempt} time(s), last: ${outcome}; giving up`);
        return;
      }
      await this.clock.sleep(this.settings.firstRetrySeconds * 2 ** (attempt - 1));
    }
  }
}

/** `{"text": ...}`: what both Teams' and Slack's incoming webhooks display. */
export function noticeBody(request: FinishedRequest, appBaseUrl?: string): { text: string } {
  const statusUrl = appBaseUrl ? `${appBaseUrl}/api/requests/${request.requestId}` : undefined;
  const c = request.counts;
  const lines = [
    `**Start/Stop VMs: ${request.action} request ${request.state}** (${c.Failed} of ${c.total} VM(s) failed; ${c.Succeeded} reached their state, ${c.AlreadyInState} already were)`,
    request.topErrorCodes.length > 0 ? `Errors: ${request.topErrorCodes.map((e) => `${e.code} × ${e.count}`).join(", ")}` : "",
    ...request.failedVms.map((vm) => `- ${vm.vmId.split("/").slice(-5, -4)[0] ?? ""}/${vm.vmId.split("/").pop()}: ${vm.errorCode}: ${vm.message.slice(0, 200)}`),
    request.failedVms.length < c.Failed ? `- … and ${c.Failed - request.failedVms.length} more` : "",
    request.message,
    statusUrl ? `Every VM's outcome: ${statusUrl} (send the function key as x-functions-key)` : `Request id: ${request.requestId}`,
  ];
  return { text: lines.filter(Boolean).join("\n\n") };
}
