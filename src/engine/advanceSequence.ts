/**
 * Moving a Sequenced run from one group to the next. Called after every verification sweep (and at
 * release); whoever finds the current group complete advances `sequence.current` with an etag-checked
 * update, so a group is released exactly once however many executors race. Releasing a row is itself
 * conditional (Held → Pending), so the message for each VM is sent once, and a crash between the two
 * steps is healed by the next call.
 */
import { isTerminal } from "../domain/runState";
import { schedulePending } from "./dueTimes";
import { writeRows } from "./rowWrites";
import type { EngineDeps } from "./ports";
import type { RequestRecord, SequenceState, VmRecord } from "./records";

/** More groups than this in one call means something is wrong; the next sweep carries on anyway. */
const MAX_GROUPS_PER_CALL = 1000;

export async function advanceSequence(deps: EngineDeps, requestId: string): Promise<void> {
  for (let step = 0; step < MAX_GROUPS_PER_CALL; step++) {
    const record = await deps.store.getRequest(requestId);
    const sequence = record?.sequence;
    if (!record || !sequence || record.stage === "completed") return;
    if (sequence.haltedBy) {
      await markNotStarted(deps, record, sequence);
      return;
    }
    // Only the current group is read: it is called after every sweep of every subscription, so reading the
    // whole run each time would cost groups × sweeps × run size. Earlier groups are complete (that is how the
    // current group became current) and later ones are Held until released.
    const current = await deps.store.listVmRows(requestId, { group: sequence.current });
    await releaseHeldRows(deps, record, sequence, current);
    if (current.some((r) => !isTerminal(r.status))) return;

    const failed = current.find((r) => r.status === "Failed");
    if (failed && !sequence.continueOnError) {
      const haltedBy = { group: sequence.groups[sequence.current]!.value, vmId: failed.id, code: failed.errorCode ?? "Failed", message: failed.errorMessage ?? "" };
      const updated = await deps.store.updateRequest(record, { sequence: { ...sequence, haltedBy } });
      if (updated) await markNotStarted(deps, updated, updated.sequence!);
      return;
    }
    const next = sequence.current + 1;
    if (next >= sequence.groups.length) return;
    const releasedAt = new Date(deps.clock.now().getTime() + sequence.delaySeconds * 1000);
    const advanced: SequenceState = {
      ...sequence,
      current: next,
      groups: sequence.groups.map((g, i) => (i === next ? { ...g, releasedAt } : g)),
    };
    const updated = await deps.store.updateRequest(record, { sequence: advanced });
    if (!updated) return; // another executor advanced it first
    deps.log(`Request ${requestId}: group ${sequence.groups[sequence.current]!.value} done; releasing group ${advanced.groups[next]!.value}`, { requestId });
    // Loop: the released group may already be complete (every VM already in state).
  }
}

/**
 * Held rows of the current group become Pending, paced from the group's release time, and get their act
 * message — each exactly once (the Held → Pending update is etag-checked).
 */
async function releaseHeldRows(deps: EngineDeps, record: RequestRecord, sequence: SequenceState, currentGroup: VmRecord[]): Promise<void> {
  const held = currentGroup.filter((r) => r.status === "Held");
  if (held.length === 0) return;
  const plans = held.map((r) => ({ ...r }));
  schedulePending(plans, sequence.groups[sequence.current]!.releasedAt ?? deps.clock.now(), deps.settings.pacing);
  await writeRows(deps, record, held.map((row, i) => ({ row, changes: { status: "Pending", dueAt: plans[i]!.dueAt, note: undefined } })));
}

async function markNotStarted(deps: EngineDeps, record: RequestRecord, sequence: SequenceState): Promise<void> {
  const halt = sequence.haltedBy!;
  const note =
    `not started: group ${halt.group} (${sequence.tag}=${halt.group}) failed — ${halt.vmId} ended with ${halt.code}` +
    `; a Sequenced run stops at the first failed group unless ContinueOnError is true`;
  const finishedAt = deps.clock.now();
  const held = await deps.store.listVmRows(record.requestId, { status: "Held" });
  await writeRows(deps, record, held.map((row) => ({ row, changes: { status: "NotStarted", finishedAt, note } })));
}
