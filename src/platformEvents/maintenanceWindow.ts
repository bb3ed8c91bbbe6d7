/**
 * The window during which announced maintenance makes a VM unavailable, from one Scheduled Event as its agent reported
 * it. Only events the VM comes back from hold the scheduler off (Freeze, Reboot, Redeploy); Preempt and Terminate end
 * the VM's run, which the eviction watcher handles. Pure.
 */
import type { ScheduledEventReport } from "./eventReport";

/**
 * How long each kind usually lasts when IMDS gives no DurationInSeconds (-1): a Freeze pauses the VM for seconds,
 * a Reboot or a Redeploy takes minutes (Learn, "Scheduled Events for Linux VMs"). Generous on purpose: waiting a
 * little longer costs less than deallocating a VM in the middle of its maintenance.
 */
const ASSUMED_SECONDS: Record<string, number> = { Freeze: 60, Reboot: 15 * 60, Redeploy: 30 * 60 };

export function maintenanceWindow(report: Pick<ScheduledEventReport, "eventType" | "notBefore" | "durationSeconds">, receivedAt: Date): { start: Date; end: Date } | undefined {
  const assumed = ASSUMED_SECONDS[report.eventType];
  if (assumed === undefined) return undefined;
  // Scheduled: from NotBefore. Started (NotBefore empty): it is under way since the agent saw it.
  const start = report.notBefore ?? receivedAt;
  const seconds = report.durationSeconds > 0 ? report.durationSeconds : assumed;
  return { start, end: new Date(start.getTime() + seconds * 1000) };
}
