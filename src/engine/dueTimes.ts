/** When each VM of a release is due: the pacing plan turned into send times on the rows (orchestration and Sequenced groups). */
import { interleaveByBucket, planCallOffsets, type PacingBudget } from "../domain/pacing";
import type { VmRecord } from "./records";

/**
 * Gives each VM about to be released its send time (`dueAt`) within Azure's budgets: the first calls go at
 * once, the rest at the rate the buckets refill. Each VM's act message is delayed until then.
 */
export function schedulePending(rows: VmRecord[], from: Date, budget: PacingBudget): void {
  const ordered = interleaveByBucket(rows.map((row) => ({ row, subscriptionId: row.subscriptionId, region: row.location })));
  const offsets = planCallOffsets(ordered, budget);
  ordered.forEach(({ row }, i) => (row.dueAt = new Date(from.getTime() + offsets[i]! * 1000)));
}
