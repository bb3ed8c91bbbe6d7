/**
 * Which agent reports POST /api/events records, after the token proved which VM sent it: only reports about a VM this
 * app manages (inside TARGET_SCOPES, or named by a request: it has a desired state), and only within the VM's report
 * rate limit (reportRateLimit.ts). Everything else is refused and writes nothing, so a VM elsewhere in the tenant, or a
 * VM flooding reports, cannot grow the tables the executor reads before every call.
 */
import type { DesiredStateStore } from "../engine/ports";
import type { ScheduledEventReport } from "./eventReport";
import type { ReportAdmission } from "./reportRateLimit";

/** Where reports are kept (adapter: src/adapters/tableScheduledEventStore.ts). */
export interface ScheduledEventLog {
  /** Takes one report token from the VM's bucket (etag-checked: concurrent reports never share one). */
  takeReportToken(vmKey: string, now: Date): Promise<ReportAdmission>;
  record(report: ScheduledEventReport, receivedAt: Date): Promise<void>;
}

export interface ReportAdmissionDeps {
  /** TARGET_SCOPES: subscriptions and resource groups (resource IDs) the deployment manages. */
  targetScopes: string[];
  desiredStates: Pick<DesiredStateStore, "get">;
  log: ScheduledEventLog;
}

export type ReportVerdict =
  | { recorded: true }
  | { recorded: false; status: 403; reason: string }
  | { recorded: false; status: 429; reason: string; retryAfterSeconds: number };

export async function admitReport(deps: ReportAdmissionDeps, report: ScheduledEventReport, now: Date): Promise<ReportVerdict> {
  if (!inScopes(report.vmKey, deps.targetScopes) && !(await deps.desiredStates.get(report.vmKey))) {
    return { recorded: false, status: 403, reason: `${report.vmKey} is not a VM this app manages (outside TARGET_SCOPES, and no request named it); its reports are not kept` };
  }
  const token = await deps.log.takeReportToken(report.vmKey, now);
  if (!token.ok) {
    return { recorded: false, status: 429, reason: `${report.vmKey} reported more events than an agent sees; try again in ${token.retryAfterSeconds} s`, retryAfterSeconds: token.retryAfterSeconds };
  }
  await deps.log.record(report, now);
  return { recorded: true };
}

/** Whether a VM (its lower-cased resource ID) lies in one of the scopes (a subscription or resource group ID). */
export function inScopes(vmKey: string, scopes: string[]): boolean {
  const vm = vmKey.toLowerCase();
  return scopes.some((scope) => {
    const prefix = scope.trim().toLowerCase().replace(/\/+$/, "");
    return prefix.startsWith("/subscriptions/") && vm.startsWith(`${prefix}/`);
  });
}
