/**
 * Circuit breaker per failure domain (subscription + region + OS type: the 2021-10-13 incident broke
 * Windows VM operations for hours while Linux worked, so Linux must keep moving). After enough
 * consecutive platform failures it opens: calls wait instead of hammering; when the wait is over one
 * probe goes through; a probe that reaches its target closes it, one that fails re-opens it for longer.
 * Pure and in memory: each host instance learns on its own, which is enough to stop the hammering.
 */

export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** First open period, seconds; doubles on every failed probe up to maxOpenSeconds. */
  openSeconds: number;
  maxOpenSeconds: number;
  /** A probe with no verdict after this long lets another probe through. */
  probeTimeoutSeconds: number;
  /** While a probe runs, others look again this often, so they follow quickly once it succeeds. */
  probeWaitSeconds: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failureThreshold: 20, openSeconds: 60, maxOpenSeconds: 300, probeTimeoutSeconds: 300, probeWaitSeconds: 30 };

type Admission = { allowed: true; probe: boolean } | { allowed: false; retryInSeconds: number };

interface BreakerState {
  consecutiveFailures: number;
  /** When the current run of consecutive failures began, and the platform's last error: what a report needs. */
  since: number;
  lastError?: { code: string; message: string };
  openUntil?: number;
  openSeconds: number;
  probeSince?: number;
}

export class CircuitBreakers {
  private readonly states = new Map<string, BreakerState>();

  constructor(private readonly settings: BreakerSettings) {}

  static key(subscriptionId: string, region: string, osType: string | undefined): string {
    return `${subscriptionId}|${region}|${osType ?? "unknown"}`.toLowerCase();
  }

  /**
   * May a call for this failure domain go out now? Those turned away come back after the probe has had
   * time to show a verdict (not every few seconds: thousands of VMs may be waiting).
   */
  admit(key: string, nowMs: number): Admission {
    const s = this.states.get(key);
    if (!s || s.openUntil === undefined) return { allowed: true, probe: false };
    if (nowMs < s.openUntil) return { allowed: false, retryInSeconds: (s.openUntil - nowMs) / 1000 + this.settings.probeWaitSeconds };
    const probeRunning = s.probeSince !== undefined && nowMs - s.probeSince < this.settings.probeTimeoutSeconds * 1000;
    if (probeRunning) return { allowed: false, retryInSeconds: 2 * this.settings.probeWaitSeconds };
    s.probeSince = nowMs;
    return { allowed: true, probe: true };
  }

  /** Seconds until a call of this domain could be let through (0 when one could go now, as a call or a probe); no side effects. */
  waitSeconds(key: string, nowMs: number): number {
    const s = this.states.get(key);
    if (!s || s.openUntil === undefined) return 0;
    if (nowMs < s.openUntil) return (s.openUntil - nowMs) / 1000 + this.settings.probeWaitSeconds;
    const probeRunning = s.probeSince !== undefined && nowMs - s.probeSince < this.settings.probeTimeoutSeconds * 1000;
    return probeRunning ? 2 * this.settings.probeWaitSeconds : 0;
  }

  recordSuccess(key: string): void {
    this.states.delete(key);
  }

  recordFailure(key: string, nowMs: number, error?: { code: string; message: string }): void {
    const s = this.states.get(key) ?? { consecutiveFailures: 0, openSeconds: this.settings.openSeconds, since: nowMs };
    s.consecutiveFailures++;
    if (error) s.lastError = error;
    if (s.probeSince !== undefined) {
      // The probe failed: stay away twice as long.
      s.openSeconds = Math.min(this.settings.maxOpenSeconds, s.openSeconds * 2);
      s.openUntil = nowMs + s.openSeconds * 1000;
      s.probeSince = undefined;
    } else if (s.openUntil === undefined && s.consecutiveFailures >= this.settings.failureThreshold) {
      s.openUntil = nowMs + s.openSeconds * 1000;
    }
    this.states.set(key, s);
  }

  isOpen(key: string): boolean {
    return this.states.get(key)?.openUntil !== undefined;
  }

  /** An open breaker's story: how many failed in a row, since when, and the last error. */
  /** Every failure domain whose breaker is open (the dashboard's view of this instance). */
  openDomains(): Array<{ key: string; failures: number; since: number; openUntil: number; lastError?: { code: string; message: string } }> {
    return [...this.states].flatMap(([key, s]) => (s.openUntil === undefined ? [] : [{ key, failures: s.consecutiveFailures, since: s.since, openUntil: s.openUntil, lastError: s.lastError }]));
  }

  describe(key: string): { failures: number; since: number; lastError?: { code: string; message: string } } | undefined {
    const s = this.states.get(key);
    return s?.openUntil === undefined ? undefined : { failures: s.consecutiveFailures, since: s.since, lastError: s.lastError };
  }
}
