/**
 * How the executor writes the VM rows it decided about: all of a step's changes in one batch (the store
 * turns them into a few transactions), then act messages for every row the batch left Pending or Waiting
 * (a retry, a deferral, a re-kick, a released group). One rule for every caller: a row that waits for a
 * call always has a message on its way.
 */
import { sendActs } from "./actMessages";
import type { EngineDeps, RowWrite } from "./ports";
import type { RequestRecord, VmRecord } from "./records";

type RequestRef = Pick<RequestRecord, "requestId" | "action" | "deadline">;

/** Returns each row as written, or undefined where somebody else changed it first (same order as `writes`). */
export async function writeRows(deps: EngineDeps, request: RequestRef, writes: RowWrite[]): Promise<(VmRecord | undefined)[]> {
  if (writes.length === 0) return [];
  const written = await deps.store.updateVmRows(writes);
  const waiting = written.filter((row): row is VmRecord => row !== undefined && (row.status === "Pending" || row.status === "Waiting"));
  if (waiting.length > 0) await sendActs(deps, request, waiting);
  return written;
}
