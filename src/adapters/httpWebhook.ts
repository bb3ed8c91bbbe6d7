/** Posting JSON to an incoming webhook (Teams, Slack) with a time limit per attempt. */
import type { WebhookPoster } from "../operations/failureNotice";

export class HttpWebhookPoster implements WebhookPoster {
  constructor(private readonly timeoutMs = 10_000) {}

  async post(url: string, body: unknown): Promise<number> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await res.arrayBuffer();
    return res.status;
  }
}
