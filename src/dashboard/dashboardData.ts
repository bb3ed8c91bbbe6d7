/**
 * Everything the dashboard page shows, in one JSON answer (GET /api/dashboard/data): runs of the last days with their
 * outcome counts, the VMs that failed with their reason, the next 24 hours' transitions, savings per week, the budget
 * and breaker state, and the heartbeat's last result. Each part that cannot be read says why instead of failing the page.
 */
import type { RunSummary, RunSummaryStore } from "./runSummary";
import { logicAppTransitions, scheduleTransitions, type LogicAppRecurrence, type UpcomingTransition } from "./transitions";
import type { Schedule } from "../schedules/schedule";
import type { SavingsAnswer } from "../savings/savingsService";
import type { HeartbeatResult } from "../operations/heartbeat";
import type { RunCounts } from "../domain/runState";

export interface DashboardDeps {
  runs: RunSummaryStore;
  /** Requests not finished yet, with their state and counts so far. */
  openRuns: () => Promise<Array<{ requestId: string; action: string; state: string; createdAt: Date; counts: RunCounts }>>;
  schedules: () => Promise<Schedule[]>;
  logicApps: LogicAppRecurrence[];
  savings: (from: Date, to: Date) => Promise<SavingsAnswer>;
  budget: () => Promise<Array<{ subscriptionId: string; bucket: string; tokens: number; at: number; burst: number }>>;
  breakers: () => Array<{ key: string; failures: number; since: number; openUntil: number; lastError?: { code: string; message: string } }>;
  heartbeat: () => Promise<HeartbeatResult | undefined>;
  now: () => Date;
  /** Days of runs listed. */
  recentDays: number;
  /** Weeks of savings charted. */
  savingsWeeks: number;
}

type Part<T> = { ok: true; value: T } | { ok: false; error: string };

async function part<T>(read: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await read() };
  } catch (error) {
    return { ok: false, error: (error as Error).message.slice(0, 300) };
  }
}

const DAY_MS = 86_400_000;

export async function dashboardData(deps: DashboardDeps) {
  const now = deps.now();
  const [runs, open, schedules, savings, budget, heartbeat] = await Promise.all([
    part(() => deps.runs.recent(new Date(now.getTime() - deps.recentDays * DAY_MS), new Date(now.getTime() + 1))),
    part(deps.openRuns),
    part(deps.schedules),
    part(() => deps.savings(new Date(now.getTime() - deps.savingsWeeks * 7 * DAY_MS), now)),
    part(deps.budget),
    part(deps.heartbeat),
  ]);
  const in24h = new Date(now.getTime() + DAY_MS);
  const transitions: UpcomingTransition[] = [
    ...(schedules.ok ? scheduleTransitions(schedules.value, now, in24h) : []),
    ...logicAppTransitions(deps.logicApps, now, in24h),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.name.localeCompare(b.name));
  const failedVms = runs.ok
    ? runs.value.flatMap((r: RunSummary) => r.failedVms.map((v) => ({ requestId: r.requestId, action: r.action, completedAt: r.completedAt.toISOString(), vmId: v.vmId, name: v.vmId.split("/").pop() ?? v.vmId, errorCode: v.errorCode, message: v.message })))
    : [];
  return {
    generatedAt: now.toISOString(),
    runs: runs.ok
      ? { ok: true, days: deps.recentDays, list: runs.value.map((r) => ({ requestId: r.requestId, action: r.action, state: r.state, completedAt: r.completedAt.toISOString(), counts: r.counts, message: r.message })) }
      : runs,
    running: open.ok ? { ok: true, list: open.value.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })) } : open,
    failedVms,
    transitions: { ok: schedules.ok, list: transitions, ...(schedules.ok ? {} : { error: `schedules could not be read: ${schedules.error}` }) },
    savings: savings.ok
      ? { ok: true, currency: savings.value.currency, weeks: savings.value.weeks, totals: savings.value.totals, note: savings.value.prices.note, unpricedVms: savings.value.unpriced.length }
      : savings,
    budget: budget.ok ? { ok: true, buckets: budget.value.map((b) => ({ ...b, at: new Date(b.at).toISOString() })) } : budget,
    breakers: deps.breakers().map((b) => ({ domain: b.key, failures: b.failures, since: new Date(b.since).toISOString(), openUntil: new Date(b.openUntil).toISOString(), lastError: b.lastError })),
    heartbeat: heartbeat.ok ? { ok: true, last: heartbeat.value ?? null } : heartbeat,
  };
}
