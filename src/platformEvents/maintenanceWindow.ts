/**
 * The window during which announced maintenance makes a VM unavailable, from one Scheduled Event as its agent reported
 * it. Only events the VM comes back from hold the scheduler off (Freeze, Reboot, Redeploy); Preempt and Terminate end
 * the VM's run, which the eviction watcher handles. Pure.
 *
 * Bounded to what IMDS announces (docs/platform-events.md, "Bounds on a report"): a window lasts at most
 * MAX_WINDOW_SECONDS of its kind, whatever DurationInSeconds said, and a window is made only for an event that starts
 * within MAX_NOTICE_SECONDS; a report can therefore hold a VM off its schedule for hours at most, never for years.
 */
import type { ScheduledEventReport } from "./eventReport";

/**
 * How long each kind usually lasts when IMDS gives no DurationInSeconds (-1): a Freeze pauses the VM for seconds,
 * a Reboot or a Redeploy takes minutes (Learn, "Scheduled Events for Linux VMs"). Generous on purpose: waiting a
 * little longer costs less than deallocating a VM in the middle of its maintenance.
 */
const ASSUMED_SECONDS: Record<string, number> = { Freeze: 60, Reboot: 15 * 60, Redeploy: 30 * 60 };

/**
 * The longest window of each kind: IMDS's documented DurationInSeconds examples go up to 900 s (a reboot), a Freeze
 * (memory-preserving maintenance, live migration) pauses a VM for seconds. The caps leave a wide margin above that.
 */
export const MAX_WINDOW_SECONDS: Record<string, number> = { Freeze: 15 * 60, Reboot: 2 * 3600, Redeploy: 2 * 3600 };

/**
 * An event announced to start later than this is not held for yet: IMDS posts events minutes ahead (minimum notice 10–15
 * minutes), and the agent reports again when the event starts (status Started), which then opens its window.
 */
export const MAX_NOTICE_SECONDS = 24 * 3600;

/** The latest a window can end after the report that made it: what the window table's day partitions must cover. */
export const MAX_WINDOW_REACH_SECONDS = MAX_NOTICE_SECONDS + Math.max(...Object.values(MAX_WINDOW_SECONDS));

export function maintenanceWindow(report: Pick<ScheduledEventReport, "eventType" | "notBefore" | "durationSeconds">, receivedAt: Date): { start: Date; end: Date } | undefined {
  const assumed = ASSUMED_SECONDS[report.eventType];
  const cap = MAX_WINDOW_SECONDS[report.eventType];
  if (assumed === undefined || cap === undefined) return undefined;
  // Scheduled: from NotBefore. Started (NotBefore empty): it is under way since the agent saw it.
  const start = report.notBefore ?? receivedAt;
  if (start.getTime() - receivedAt.getTime() > MAX_NOTICE_SECONDS * 1000) return undefined;
  const seconds = Math.min(report.durationSeconds > 0 ? report.durationSeconds : assumed, cap);
  return { start, end: new Date(start.getTime() + seconds * 1000) };
}
