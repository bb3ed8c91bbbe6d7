/**
 * The report rate limit: how many reports one VM's agent may make, as a token bucket per VM. A real agent reports an
 * event when it appears and when it starts, a few times a month; a VM that reports faster is refused (429) instead of
 * filling the tables the executor reads. Pure: the state comes in and goes out (kept per VM by the event store).
 */

export interface ReportRateLimit {
  /** Reports a VM may make at once (the bucket's size). */
  burst: number;
  /** Reports a VM regains per hour. */
  perHour: number;
}

/** Far above what IMDS gives a VM (a handful of events, each reported once or twice), far below a flood. */
export const REPORT_RATE_LIMIT: ReportRateLimit = { burst: 20, perHour: 10 };

export interface ReportBucket {
  tokens: number;
  at: Date;
}

export type ReportAdmission = { ok: true; bucket: ReportBucket } | { ok: false; retryAfterSeconds: number };

/** Takes one report's token from the VM's bucket (undefined: the VM never reported), or says when the next one is due. */
export function takeReportToken(bucket: ReportBucket | undefined, now: Date, limit: ReportRateLimit = REPORT_RATE_LIMIT): ReportAdmission {
  const elapsedHours = bucket ? Math.max(0, now.getTime() - bucket.at.getTime()) / 3_600_000 : 0;
  const tokens = bucket ? Math.min(limit.burst, bucket.tokens + elapsedHours * limit.perHour) : limit.burst;
  if (tokens < 1) return { ok: false, retryAfterSeconds: Math.ceil(((1 - tokens) / limit.perHour) * 3600) };
  return { ok: true, bucket: { tokens: tokens - 1, at: now } };
}
