/**
 * The state each VM should be in, as the last request that spoke about it set it: running after a start,
 * deallocated after a stop. The newest request wins (by when it was made), and when it changes a VM's desired state,
 * an older request still working on that VM stops at once: its VM ends `Superseded`, naming the newer request, instead
 * of fighting it or waiting for its deadline. The platform-events watcher reads the same record ("should be running").
 */
import { desiredStateOf } from "../targets/powerAction";
import { isTerminal } from "../domain/runState";
import type { DesiredState, EngineDeps, RowWrite } from "./ports";
import type { RequestRecord } from "./records";

/** Records this request's desired state for its VMs; ends the VMs of older requests it overrides. */
export async function claimDesiredStates(deps: EngineDeps, record: RequestRecord, vms: { key: string; subscriptionId: string }[]): Promise<void> {
  const desired = desiredStateOf(record.action);
  const entries: DesiredState[] = vms.map((vm) => ({
    vmKey: vm.key, subscriptionId: vm.subscriptionId, desired, requestId: record.requestId, action: record.action, requestCreatedAt: record.createdAt,
  }));
  const replaced = await deps.desiredStates.claim(entries);
  const overridden = replaced.filter((previous) => previous.requestId !== record.requestId && previous.desired !== desired);
  await supersede(deps, record, overridden);
}

async function supersede(deps: EngineDeps, newer: RequestRecord, overridden: DesiredState[]): Promise<void> {
  const byRequest = new Map<string, DesiredState[]>();
  for (const entry of overridden) byRequest.set(entry.requestId, [...(byRequest.get(entry.requestId) ?? []), entry]);
  const now = deps.clock.now();
  for (const [requestId, entries] of byRequest) {
    const older = await deps.store.getRequest(requestId);
    if (!older || older.stage === "completed") continue;
    const writes: RowWrite[] = [];
    for (const entry of entries) {
      const row = await deps.store.getVmRow(requestId, entry.vmKey);
      if (!row || isTerminal(row.status)) continue;
      writes.push({
        row,
        changes: {
          status: "Superseded", finishedAt: now, dueAt: undefined, heldBy: undefined,
          note: `superseded by request ${newer.requestId} (${newer.action}, made ${newer.createdAt.toISOString()}), which wants this VM ${desiredStateOf(newer.action)}`,
        },
      });
    }
    if (writes.length === 0) continue;
    await deps.store.updateVmRows(writes);
    deps.log(`Request ${newer.requestId} superseded ${writes.length} VM(s) of request ${requestId}`, { requestId });
  }
}
