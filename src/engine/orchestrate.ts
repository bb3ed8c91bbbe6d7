/**
 * VirtualMachineRequestOrchestrator's work: expand the scopes, write one row per VM, release the work.
 * Each stage is recorded on the request row before the next begins, so a redelivered message resumes
 * where the last one stopped and never resets a VM that already moved on.
 */
import { isArmRequestError } from "../domain/armError";
import { hasReachedTarget, isInTransitionToTarget, formatPowerState } from "../domain/power";
import { decideRetry } from "../domain/retryPolicy";
import { vmId } from "../domain/resourceId";
import type { PowerAction } from "../domain/scheduledRequest";
import { expandScopes, type Expansion } from "./expandScopes";
import { finalizeIfComplete } from "./finalize";
import type { EngineDeps } from "./ports";
import type { ActMessage, OrchestrationMessage, RequestRecord, SweepRecord, VmRecord } from "./records";

export async function orchestrate(deps: EngineDeps, message: OrchestrationMessage): Promise<void> {
  let record = await deps.store.getRequest(message.requestId);
  if (!record) {
    deps.log(`Request ${message.requestId} has no row in requeststoretable; nothing to orchestrate.`);
    return;
  }
  if (record.stage === "accepted") {
    const expanded = await expandAndRecord(deps, record, message.attempt ?? 0);
    if (!expanded) return;
    record = expanded;
  }
  if (record.stage === "expanded") await release(deps, record);
}

async function expandAndRecord(deps: EngineDeps, record: RequestRecord, attempt: number): Promise<RequestRecord | undefined> {
  let expansion: Expansion;
  try {
    expansion = await expandScopes(deps.compute, record.request.scopes);
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    const now = deps.clock.now();
    const decision = decideRetry(error.failure, attempt + 1, now, record.deadline, deps.settings.retry, deps.random);
    if (decision.retry) {
      await deps.orchestrationQueue.send({ requestId: record.requestId, attempt: attempt + 1 }, decision.afterSeconds);
    } else {
      await deps.store.updateRequest(record, {
        stage: "completed", state: "Failed", completedAt: now,
        message: `Could not list the VMs in the request's scopes: ${decision.reason}`,
      });
    }
    return undefined;
  }
  const now = deps.clock.now();
  const rows = buildVmRows(record, expansion, now);
  await deps.store.insertVmRows(rows);
  const openSubscriptions = new Set(rows.filter((r) => r.status === "Pending" || r.status === "Acting").map((r) => r.subscriptionId));
  const sweeps: SweepRecord[] = [...openSubscriptions].map((subscriptionId) => ({
    requestId: record.requestId, subscriptionId, sweepSeq: 1, done: false,
  }));
  await deps.store.insertSweeps(sweeps);
  const changes: Partial<RequestRecord> = {
    stage: "expanded", state: "Running", vmCount: rows.length, scopeErrors: expansion.scopeErrors,
  };
  // If a duplicate delivery got there first, carry on from what it recorded.
  return (await deps.store.updateRequest(record, changes)) ?? (await deps.store.getRequest(record.requestId));
}

/** Pure: the initial row for every VM the expansion found, excluded or unreadable. */
export function buildVmRows(record: RequestRecord, expansion: Expansion, now: Date): VmRecord[] {
  const action: PowerAction = record.action;
  const base = (vm: { key: string; id: string; subscriptionId: string; resourceGroup: string; name: string; location: string; osType?: string; priority?: string }): VmRecord => ({
    requestId: record.requestId, ...vm, status: "Pending", attempt: 0,
  });
  const rows: VmRecord[] = [];
  for (const vm of expansion.selected) {
    const row = base({
      key: vm.key, id: vm.id, subscriptionId: vm.ref.subscriptionId.toLowerCase(), resourceGroup: vm.ref.resourceGroup,
      name: vm.ref.name, location: vm.location, osType: vm.osType, priority: vm.priority,
    });
    row.powerState = vm.powerState;
    if (hasReachedTarget(action, vm.powerState)) {
      Object.assign(row, { status: "AlreadyInState", finishedAt: now, note: `already in ${formatPowerState(vm.powerState)}; no call made` });
    } else if (isInTransitionToTarget(action, vm.powerState)) {
      Object.assign(row, { status: "Acting", actedAt: now, note: `already in ${formatPowerState(vm.powerState)}; verifying without a call` });
    } else {
      row.dueAt = now;
    }
    rows.push(row);
  }
  for (const { vm, reason } of expansion.excluded) {
    rows.push({
      ...base({
        key: vm.key, id: vm.id, subscriptionId: vm.ref.subscriptionId.toLowerCase(), resourceGroup: vm.ref.resourceGroup,
        name: vm.ref.name, location: vm.location, osType: vm.osType, priority: vm.priority,
      }),
      status: "Skipped", finishedAt: now, note: reason, powerState: vm.powerState,
    });
  }
  for (const { ref, code, message } of expansion.unreadable) {
    const id = vmId(ref);
    rows.push({
      ...base({ key: id.toLowerCase(), id, subscriptionId: ref.subscriptionId.toLowerCase(), resourceGroup: ref.resourceGroup, name: ref.name, location: "" }),
      status: "Failed", finishedAt: now, errorCode: code, errorMessage: message,
    });
  }
  return rows;
}

async function release(deps: EngineDeps, record: RequestRecord): Promise<void> {
  const rows = await deps.store.listVmRows(record.requestId);
  const acts: ActMessage[] = rows
    .filter((row) => row.status === "Pending")
    .map((row) => actMessageFor(record, row));
  await deps.executionQueue.sendMany(acts);
  const sweeps = (await deps.store.listSweeps(record.requestId)).filter((s) => !s.done);
  await deps.executionQueue.sendMany(
    sweeps.map((s) => ({ type: "verify", requestId: s.requestId, subscriptionId: s.subscriptionId, sweep: s.sweepSeq })),
    deps.settings.verifyIntervalSeconds,
  );
  await deps.store.updateRequest(record, { stage: "released" });
  if (sweeps.length === 0) await finalizeIfComplete(deps, record.requestId);
}

export function actMessageFor(record: Pick<RequestRecord, "requestId" | "action" | "deadline">, row: VmRecord): ActMessage {
  return { type: "act", requestId: record.requestId, vmKey: row.key, attempt: row.attempt, action: record.action, deadline: record.deadline.toISOString() };
}
