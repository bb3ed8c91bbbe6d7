/**
 * Turning VMs due for their power call into act messages: VMs of one subscription due in the same time
 * window travel together (up to ACT_BATCH_SIZE), each message delayed to the end of its window — never
 * before any of its VMs is due, so the pacing plan holds. Few, full messages matter: a storage queue gets
 * slower the more messages it holds, and every message is a function execution.
 */
import type { EngineDeps } from "./ports";
import type { ActMessage, RequestRecord, VmRecord } from "./records";

export const ACT_BATCH_SIZE = 50;
/** Window for large releases (seconds); a handful of VMs (retries, deferrals) keep second precision. */
const RELEASE_WINDOW_SECONDS = 10;

type RequestRef = Pick<RequestRecord, "requestId" | "action" | "deadline">;

/** Seconds until a row's planned send time (never negative). */
export function secondsUntilDue(row: VmRecord, now: Date): number {
  return row.dueAt ? Math.max(0, (row.dueAt.getTime() - now.getTime()) / 1000) : 0;
}

export function actMessages(request: RequestRef, rows: VmRecord[], now: Date): { message: ActMessage; delaySeconds: number }[] {
  const window = rows.length > ACT_BATCH_SIZE ? RELEASE_WINDOW_SECONDS : 1;
  const groups = new Map<string, { delaySeconds: number; rows: VmRecord[] }>();
  for (const row of rows) {
    const due = secondsUntilDue(row, now);
    const delaySeconds = Math.ceil(due / window) * window;
    const key = `${row.subscriptionId}|${delaySeconds}`.toLowerCase();
    const group = groups.get(key) ?? { delaySeconds, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  const out: { message: ActMessage; delaySeconds: number }[] = [];
  for (const { delaySeconds, rows: members } of groups.values()) {
    for (let i = 0; i < members.length; i += ACT_BATCH_SIZE) {
      out.push({
        delaySeconds,
        message: {
          type: "act", requestId: request.requestId, action: request.action, deadline: request.deadline.toISOString(),
          vms: members.slice(i, i + ACT_BATCH_SIZE).map((r) => ({ key: r.key, attempt: r.attempt })),
        },
      });
    }
  }
  return out;
}

/** Sends the act messages for these rows, each batch with its own delay. */
export async function sendActs(deps: EngineDeps, request: RequestRef, rows: VmRecord[]): Promise<void> {
  const batches = actMessages(request, rows, deps.clock.now());
  const delays = new Map(batches.map((b) => [b.message, b.delaySeconds]));
  await deps.executionQueue.sendMany(batches.map((b) => b.message), (m) => delays.get(m as ActMessage) ?? 0);
}
