/**
 * The state each VM should be in, as the last request that spoke about it set it: running after a start,
 * deallocated after a stop. The newest request wins (by when it was made), and when it changes a VM's desired state,
 * an older request still working on that VM stops at once: its VM ends `Superseded`, naming the newer request, instead
 * of fighting it or waiting for its deadline. The platform-events watcher reads the same record ("should be running").
 *
 * Why an older request can never act against a newer one (docs/newest-wins.md has the whole argument):
 * - at planning, the VMs a newer request already holds are planned `Superseded` (the claim says which);
 * - the newer request supersedes the older one's open rows, re-reading and retrying a row whose write lost an etag race;
 * - and the act step checks the desired state after its claim and before every call (`supersededAtCall`), so an older
 *   row the newer request could not see yet (not written when it looked) is caught on the other side.
 */
import { desiredStateOf } from "../targets/powerAction";
import { isTerminal } from "../domain/runState";
import type { DesiredState, EngineDeps, RowWrite } from "./ports";
import type { RequestRecord, VmRecord } from "./records";

/** Attempts at superseding one row whose etag kept changing under us (each re-reads it). */
const SUPERSEDE_TRIES = 5;

/**
 * Records this request's desired state for its VMs; ends the VMs of older requests it overrides. Returns the VMs a
 * newer request already holds with another desired state (by vmKey): this request plans them `Superseded`.
 */
export async function claimDesiredStates(deps: EngineDeps, record: RequestRecord, vms: { key: string; subscriptionId: string }[]): Promise<Map<string, DesiredState>> {
  const desired = desiredFor(record);
  const entries: DesiredState[] = vms.map((vm) => ({
    vmKey: vm.key, subscriptionId: vm.subscriptionId, desired, requestId: record.requestId, action: record.action, requestCreatedAt: record.createdAt,
  }));
  const { replaced, keptByNewer } = await deps.desiredStates.claim(entries);
  const overridden = replaced.filter((previous) => previous.requestId !== record.requestId && previous.desired !== desired);
  await supersede(deps, record, overridden);
  return new Map(keptByNewer.filter((newer) => newer.desired !== desired).map((newer) => [newer.vmKey, newer]));
}

/** The row change of a VM a newer request took over. */
export function supersededBy(newer: Pick<DesiredState, "requestId" | "action" | "requestCreatedAt">, now: Date): Partial<VmRecord> {
  return {
    status: "Superseded", finishedAt: now, dueAt: undefined, heldBy: undefined,
    note: `superseded by request ${newer.requestId} (${newer.action}, made ${newer.requestCreatedAt.toISOString()}), which wants this VM ${desiredStateOf(newer.action)}`,
  };
}

/**
 * For rows this request has just claimed for a call: the ones a newer request now holds with another desired state, and
 * the row change that ends them instead of calling. One point read per VM. Because the claim was written before this
 * read, and a newer request writes its desired state before it reads our rows, one of the two always sees the other.
 */
export async function supersededAtCall(deps: EngineDeps, request: RequestRecord, rows: VmRecord[]): Promise<Map<string, Partial<VmRecord>>> {
  const out = new Map<string, Partial<VmRecord>>();
  const desired = desiredFor(request);
  const now = deps.clock.now();
  await Promise.all(rows.map(async (row) => {
    const held = await deps.desiredStates.get(row.key);
    if (held && held.requestId !== request.requestId && held.desired !== desired && held.requestCreatedAt.getTime() > request.createdAt.getTime()) {
      out.set(row.key, supersededBy(held, now));
    }
  }));
  return out;
}

function desiredFor(record: Pick<RequestRecord, "action">): DesiredState["desired"] {
  return desiredStateOf(record.action);
}

async function supersede(deps: EngineDeps, newer: RequestRecord, overridden: DesiredState[]): Promise<void> {
  const byRequest = new Map<string, DesiredState[]>();
  for (const entry of overridden) byRequest.set(entry.requestId, [...(byRequest.get(entry.requestId) ?? []), entry]);
  const note = { requestId: newer.requestId, action: newer.action, requestCreatedAt: newer.createdAt };
  for (const [requestId, entries] of byRequest) {
    const older = await deps.store.getRequest(requestId);
    if (!older || older.stage === "completed") continue;
    let pending = entries.map((e) => e.vmKey);
    let ended = 0;
    // A write that lost an etag race (the older request's act step or sweep changed the row meanwhile) is read again
    // and retried while the row is still open: a lost race is never a dropped supersede.
    for (let tries = 0; tries < SUPERSEDE_TRIES && pending.length > 0; tries++) {
      const rows = (await Promise.all(pending.map((key) => deps.store.getVmRow(requestId, key))))
        .filter((row): row is VmRecord => row !== undefined && !isTerminal(row.status));
      const writes: RowWrite[] = rows.map((row) => ({ row, changes: supersededBy(note, deps.clock.now()) }));
      if (writes.length === 0) break;
      const written = await deps.store.updateVmRows(writes);
      ended += written.filter((w) => w !== undefined).length;
      pending = rows.filter((_, i) => written[i] === undefined).map((row) => row.key);
    }
    if (pending.length > 0) {
      // Still changing after every try: the older request's act step catches these before calling (supersededAtCall).
      deps.log(`Request ${newer.requestId} could not supersede ${pending.length} VM(s) of request ${requestId} (rows kept changing); its act step will`, { requestId });
    }
    if (ended > 0) deps.log(`Request ${newer.requestId} superseded ${ended} VM(s) of request ${requestId}`, { requestId });
  }
}
