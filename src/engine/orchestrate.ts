/**
 * VirtualMachineRequestOrchestrator's work: expand the scopes, write one row per VM, release the work.
 * Each stage is recorded on the request row before the next begins, so a redelivered message resumes
 * where the last one stopped and never resets a VM that already moved on.
 */
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { hasReachedTarget, isInTransitionToTarget, formatPowerState } from "../domain/power";
import { decideRetry } from "../domain/retryPolicy";
import { vmId } from "../domain/resourceId";
import { describeInvalidTag, planGroups, readSequencePosition, sequenceTagFor } from "../domain/sequenceGroups";
import type { PacingBudget } from "../domain/pacing";
import { expandScopes, type Expansion } from "./expandScopes";
import { finalizeIfComplete } from "./finalize";
import type { DesiredState, EngineDeps } from "./ports";
import type { OrchestrationMessage, RequestRecord, SequenceState, SweepRecord, VmRecord } from "./records";
import { sendActs } from "./actMessages";
import { advanceSequence } from "./advanceSequence";
import { schedulePending } from "./dueTimes";
import { claimDesiredStates, supersededBy } from "./desiredState";
import { stalledAfterMs } from "./watchdog";
import { actionOf } from "./rowAction";
import { powerActionFor, targetPowerState } from "../targets/powerAction";
import { chooseStopMode } from "../targets/stopMode";
import { kindOf } from "../targets/targetKind";

export async function orchestrate(deps: EngineDeps, message: OrchestrationMessage): Promise<void> {
  let record = await deps.store.getRequest(message.requestId);
  if (!record) {
    deps.log(`Request ${message.requestId} has no row in requeststoretable; nothing to orchestrate.`, { requestId: message.requestId });
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
    const resolved = await deps.store.loadExpansionReads(record.requestId);
    const result = await expandScopes(deps.compute, record.request.scopes, { resolved, singleReadBudget: SINGLE_READS_PER_ATTEMPT });
    if ("incomplete" in result) {
      // Keep what this attempt read and carry on later, paced to ARM's read budget, instead of starting over.
      await deps.store.saveExpansionReads(record.requestId, result.added);
      const progressed = result.added.size > 0;
      await retryExpansion(deps, record, progressed ? 0 : attempt, { status: 429, code: "ExpansionPaced", message: result.reason, retryAfterSeconds: result.retryAfterSeconds });
      return undefined;
    }
    expansion = result;
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    await retryExpansion(deps, record, attempt, error.failure);
    return undefined;
  }
  // Before any call is planned or released: the VMs this request names now want its state, and older requests
  // still working on them stop (their rows end Superseded). Claiming first also keeps the pacing plan's clock true.
  // VMs a newer request already holds (this one expanded late) are planned Superseded: never called by this request.
  const keptByNewer = await claimDesiredStates(deps, record, expansion.selected.map((vm) => ({ key: vm.key, subscriptionId: vm.ref.subscriptionId.toLowerCase() })));
  const now = deps.clock.now();
  const { rows, sequence } = planRun(record, expansion, now, deps.settings.pacing, keptByNewer);
  await deps.store.insertVmRows(rows);
  const openSubscriptions = new Set(rows.filter((r) => ["Held", "Pending", "Acting"].includes(r.status)).map((r) => r.subscriptionId));
  const sweeps: SweepRecord[] = [...openSubscriptions].map((subscriptionId) => ({
    requestId: record.requestId, subscriptionId, sweepSeq: 1, done: false,
  }));
  await deps.store.insertSweeps(sweeps);
  const changes: Partial<RequestRecord> = {
    stage: "expanded", state: "Running", vmCount: rows.length, scopeErrors: expansion.scopeErrors, sequence,
  };
  const updated = await deps.store.updateRequest(record, changes);
  if (updated) return updated;
  // If a duplicate delivery got there first, carry on from what it recorded; if only the watchdog's lease changed the
  // row meanwhile (still accepted), record the expansion on the row as it is now.
  const current = await deps.store.getRequest(record.requestId);
  if (current?.stage !== "accepted") return current;
  return (await deps.store.updateRequest(current, changes)) ?? (await deps.store.getRequest(record.requestId));
}

/** Per-VM reads one expansion attempt may make: ARM's read burst (250), less a margin for the sweeps' reads. */
const SINGLE_READS_PER_ATTEMPT = 200;

async function retryExpansion(deps: EngineDeps, record: RequestRecord, attempt: number, failure: ArmFailure): Promise<void> {
  const now = deps.clock.now();
  const decision = decideRetry(failure, attempt + 1, now, record.deadline, deps.settings.retry, deps.random);
  if (decision.retry) {
    // The watchdog leaves a request alone while this retry is on its way (one chain, not one more per tick).
    const leaseUntil = new Date(now.getTime() + decision.afterSeconds * 1000 + stalledAfterMs(deps));
    await deps.store.updateRequest(record, { orchestrationLeaseUntil: leaseUntil });
    await deps.orchestrationQueue.send({ requestId: record.requestId, attempt: attempt + 1 }, decision.afterSeconds);
    return;
  }
  const ended = await deps.store.updateRequest(record, {
    stage: "completed", state: "Failed", completedAt: now,
    message: `Could not list the VMs in the request's scopes: ${decision.reason}`,
  });
  if (ended) await deps.store.removeOpenRequest(record.requestId);
}

/**
 * Pure: the initial row for every VM the expansion found (selected, excluded or unreadable) and, for a
 * Sequenced run, its groups. VMs of later groups start Held; VMs already in the target state need no call; VMs a newer
 * request holds (`keptByNewer`) start Superseded.
 */
export function planRun(
  record: RequestRecord, expansion: Expansion, now: Date, budget: PacingBudget, keptByNewer: ReadonlyMap<string, DesiredState> = new Map(),
): { rows: VmRecord[]; sequence?: SequenceState } {
  const { action } = record;
  const sequenced = record.request.sequenced;
  const tag = sequenceTagFor(action);
  const rowOf = (vm: Expansion["selected"][number]): VmRecord => {
    // The VM's own stop: its tag startstop-stopmode, else the body's StopMode; a hibernate it cannot do is a deallocate.
    const stop = chooseStopMode(record.request.stopMode ?? "deallocate", vm);
    const row: VmRecord = {
      requestId: record.requestId, key: vm.key, id: vm.id, subscriptionId: vm.ref.subscriptionId.toLowerCase(),
      resourceGroup: vm.ref.resourceGroup, name: vm.ref.name, location: vm.location, osType: vm.osType,
      priority: vm.priority, powerState: vm.powerState, status: "Pending", attempt: 0,
      kind: kindOf(vm), scaleSetId: vm.scaleSetId, powerAction: powerActionFor(action, stop.mode),
    };
    if (action === "stop" && stop.fallback) Object.assign(row, { fallbackCode: stop.fallback.code, fallbackMessage: stop.fallback.message });
    return row;
  };
  const rows: VmRecord[] = [];
  const grouped: { row: VmRecord; value: number }[] = [];
  for (const vm of expansion.selected) {
    const row = rowOf(vm);
    rows.push(row);
    if (!sequenced) continue;
    const position = readSequencePosition(vm.tags, tag);
    if (position.kind === "untagged") {
      Object.assign(row, { status: "Skipped", finishedAt: now, note: `no ${tag} tag: a Sequenced run acts only on VMs tagged with their group` });
    } else if (position.kind === "invalid") {
      Object.assign(row, { status: "Failed", finishedAt: now, errorCode: "InvalidSequenceTag", errorMessage: describeInvalidTag(tag, position.raw) });
    } else {
      grouped.push({ row, value: position.value });
    }
  }
  const values = planGroups(grouped.map((g) => g.value));
  for (const { row, value } of grouped) row.group = values.indexOf(value);
  for (const row of rows) {
    if (row.status !== "Pending") continue;
    const rowAction = actionOf(row, record);
    const newer = keptByNewer.get(row.key);
    if (newer) {
      Object.assign(row, supersededBy(newer, now));
    } else if (hasReachedTarget(rowAction, row.powerState)) {
      Object.assign(row, { status: "AlreadyInState", finishedAt: now, note: `already in ${formatPowerState(row.powerState)}; no call made` });
    } else if (isInTransitionToTarget(rowAction, row.powerState)) {
      Object.assign(row, { status: "Acting", actedAt: now, note: `already in ${formatPowerState(row.powerState)}; verifying without a call` });
    } else if (row.group !== undefined && row.group > 0) {
      Object.assign(row, { status: "Held", note: `waits for group ${values[row.group - 1]} to reach ${formatPowerState(targetPowerState(rowAction))}` });
    }
  }
  schedulePending(rows.filter((r) => r.status === "Pending"), now, budget);
  for (const { vm, reason } of expansion.excluded) {
    rows.push({ ...rowOf(vm), status: "Skipped", finishedAt: now, note: reason });
  }
  for (const { ref, code, message } of expansion.unreadable) {
    const id = vmId(ref);
    rows.push({
      requestId: record.requestId, key: id.toLowerCase(), id, subscriptionId: ref.subscriptionId.toLowerCase(), resourceGroup: ref.resourceGroup,
      name: ref.name, location: "", status: "Failed", attempt: 0, finishedAt: now, errorCode: code, errorMessage: message,
    });
  }
  const sequence: SequenceState | undefined = sequenced
    ? {
        tag,
        continueOnError: record.request.continueOnError,
        delaySeconds: record.request.sequenceDelaySeconds,
        groups: values.map((value, index) => ({ value, releasedAt: index === 0 ? now : undefined })),
        current: 0,
      }
    : undefined;
  return { rows, sequence };
}

async function release(deps: EngineDeps, record: RequestRecord): Promise<void> {
  const rows = await deps.store.listVmRows(record.requestId);
  await sendActs(deps, record, rows.filter((row) => row.status === "Pending"));
  const sweeps = (await deps.store.listSweeps(record.requestId)).filter((s) => !s.done);
  await deps.executionQueue.sendMany(
    sweeps.map((s) => ({ type: "verify", requestId: s.requestId, subscriptionId: s.subscriptionId, sweep: s.sweepSeq })),
    deps.settings.verifyIntervalSeconds,
  );
  // Whoever released first recorded it; a lost race only means somebody else did the same (idempotent) work.
  if (!(await deps.store.updateRequest(record, { stage: "released" }))) {
    const current = await deps.store.getRequest(record.requestId);
    if (current?.stage === "expanded") await deps.store.updateRequest(current, { stage: "released" });
  }
  // A first group with nothing to do (all already in state) releases the next one right away.
  if (record.sequence) await advanceSequence(deps, record.requestId);
  if (sweeps.length === 0) await finalizeIfComplete(deps, record.requestId);
}


