/**
 * Turning VMs due for their power call into act messages: VMs of one subscription due close together
 * travel together (up to ACT_BATCH_SIZE, due within BATCH_SPREAD_SECONDS of each other), each message
 * delayed until its last VM is due — never before any of its VMs is due, so the pacing plan holds, and no
 * VM waits more than the spread beyond its time. Few, full messages matter: a storage queue gets slower
 * the more messages it holds, and every message is a function execution.
 */
import type { EngineDeps } from "./ports";
import type { ActMessage, RequestRecord, VmRecord } from "./records";

export const ACT_BATCH_SIZE = 50;
/** At Azure's write refill (10/s per subscription) this still fills most of a batch, and costs at most 3 s. */
export const BATCH_SPREAD_SECONDS = 3;

type RequestRef = Pick<RequestRecord, "requestId" | "action" | "deadline">;

/** Seconds until a row's planned send time (never negative). */
export function secondsUntilDue(row: VmRecord, now: Date): number {
  return row.dueAt ? Math.max(0, (row.dueAt.getTime() - now.getTime()) / 1000) : 0;
}

export function actMessages(request: RequestRef, rows: VmRecord[], now: Date): { message: ActMessage; delaySeconds: number }[] {
  const bySubscription = new Map<string, { row: VmRecord; due: number }[]>();
  for (const row of rows) {
    const key = row.subscriptionId.toLowerCase();
    const members = bySubscription.get(key) ?? [];
    members.push({ row, due: secondsUntilDue(row, now) });
    bySubscription.set(key, members);
  }
  const out: { message: ActMessage; delaySeconds: number; turn: number }[] = [];
  const untilDeadline = Math.max(0, Math.ceil((request.deadline.getTime() - now.getTime()) / 1000));
  for (const members of bySubscription.values()) {
    let turn = 0;
    members.sort((a, b) => a.due - b.due);
    for (let start = 0; start < members.length; ) {
      let end = start + 1;
      while (end < members.length && end - start < ACT_BATCH_SIZE && members[end]!.due - members[start]!.due <= BATCH_SPREAD_SECONDS) end++;
      const batch = members.slice(start, end);
      out.push({
        turn: turn++,
        // Never later than the deadline: there the act step ends what is still waiting (a window past it waits no longer).
        delaySeconds: Math.min(Math.ceil(batch[batch.length - 1]!.due), untilDeadline),
        message: {
          type: "act", requestId: request.requestId, action: request.action, deadline: request.deadline.toISOString(),
          vms: batch.map(({ row }) => ({ key: row.key, attempt: row.attempt })),
        },
      });
      start = end;
    }
  }
  // Subscriptions take turns: each subscription's write bucket refills only once its calls begin, so when
  // the executors cannot send every burst at once, one batch of each first beats all of one first.
  return out.sort((a, b) => a.delaySeconds - b.delaySeconds || a.turn - b.turn).map(({ message, delaySeconds }) => ({ message, delaySeconds }));
}

/** Sends the act messages for these rows, each batch with its own delay. */
export async function sendActs(deps: EngineDeps, request: RequestRef, rows: VmRecord[]): Promise<void> {
  const batches = actMessages(request, rows, deps.clock.now());
  const delays = new Map(batches.map((b) => [b.message, b.delaySeconds]));
  await deps.executionQueue.sendMany(batches.map((b) => b.message), (m) => delays.get(m as ActMessage) ?? 0);
}
