/**
 * The executor's "act" step: send each VM's power action (start, deallocate, hibernate, powerOff) once per attempt,
 * record that Azure accepted it, and leave verification to the sweep. This is the only place a power action is sent.
 */
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { decideRetry } from "../domain/retryPolicy";
import { isTerminal } from "../domain/runState";
import type { EngineDeps, MaintenanceWindow, RowWrite } from "./ports";
import type { ActMessage, RequestRecord, VmRecord } from "./records";
import { mapWithConcurrency } from "./concurrency";
import { writeRows } from "./rowWrites";
import { domainName, type Admission, type Outage } from "./backpressure";
import { supersededAtCall } from "./desiredState";
import { actionOf } from "./rowAction";
import { computePolicyOf, verbOf, type PowerAction } from "../targets/powerAction";
import { hibernateFallback } from "../targets/stopMode";

const VMS_IN_PARALLEL = 16;
/** Reservations per subscription + region per message, at most (the later ones only for calls that missed their window). */
const MAX_RESERVATIONS = 4;

/**
 * Handles an act message. Each VM is decided on its own (one VM's failure never holds up the others); the VMs
 * that may be called now are first **claimed** in one batch (an etag-checked write: Acting, attempt n+1), and only
 * those whose claim landed are called. Two deliveries of the same work (at-least-once delivery, a sweep's re-kick
 * next to the original message) therefore never both call: the second finds the row already claimed. A claim whose
 * call never happened (the host died in between) is found by the sweep, which sees the VM not moving and re-kicks it.
 * Then the claimed VMs' tokens are reserved from the shared budget and their calls sent at once, so nothing of ours
 * (a storage write, a wait) sits between the grant and the calls. What the calls returned, and the VMs that must
 * wait, are written in a second batch.
 */
export async function actOnVms(deps: EngineDeps, message: ActMessage): Promise<void> {
  // The request row is the truth for action and deadline; the message only says which rows to look at.
  const request = await deps.store.getRequest(message.requestId);
  if (!request || request.stage === "completed") return;
  const maintenance = windowsByVm(await deps.maintenance.openWindows(deps.clock.now()));
  const decided = await mapWithConcurrency(message.vms, VMS_IN_PARALLEL, (vm) => decide(deps, request, vm, maintenance.get(vm.key)));
  const wanted = decided.filter((d): d is Extract<Decision, { kind: "call" }> => d?.kind === "call").map((d) => d.row);
  const claims = await writeRows(deps, request, wanted.map((row) => ({
    row, changes: { status: "Acting", actedAt: deps.clock.now(), attempt: row.attempt + 1, dueAt: undefined, note: waitedFor(row), heldBy: undefined },
  })));
  const landed = wanted.flatMap((before, i) => (claims[i] ? [{ before, claimed: claims[i]! }] : []));
  // Newest wins: a VM a newer request took over since this one was planned ends Superseded here, never called.
  const superseded = await supersededAtCall(deps, request, landed.map((c) => c.claimed));
  const claimed = landed.filter((c) => !superseded.has(c.claimed.key));
  const outcomes = await Promise.all([...bySubscriptionAndRegion(claimed, request).values()].map((group) => callWithinBudget(deps, request, group)));
  const writes = [
    ...decided.filter((d): d is Extract<Decision, { kind: "write" }> => d?.kind === "write").map((d) => d.write),
    ...landed.filter((c) => superseded.has(c.claimed.key)).map((c) => ({ row: c.claimed, changes: superseded.get(c.claimed.key)! })),
    ...outcomes.flat(),
  ];
  await writeRows(deps, request, writes);
}

type Decision = { kind: "call"; row: VmRecord } | { kind: "write"; write: RowWrite } | undefined;

/** A VM row before and after its claim landed. */
interface Claimed {
  before: VmRecord;
  claimed: VmRecord;
}

/** Whether this VM may be claimed and called now, or what to write instead (deadline passed, a long wait ahead). */
async function decide(deps: EngineDeps, request: RequestRecord, vm: ActMessage["vms"][number], windows: MaintenanceWindow[] = []): Promise<Decision> {
  const row = await deps.store.getVmRow(request.requestId, vm.key);
  // Idempotency: a duplicate or stale message finds the row already past this attempt.
  if (!row || isTerminal(row.status) || row.attempt !== vm.attempt || row.status === "Acting" || row.status === "Held") return undefined;
  const now = deps.clock.now();
  if (now >= request.deadline) return { kind: "write", write: { row, changes: deadlineFailure(row, request, deps.backpressure, now) } };
  // Announced maintenance (Freeze, Reboot, Redeploy): a power action inside it would fight the platform. Wait it out.
  const inside = windows.filter((w) => w.start <= now && now < w.end).sort((a, b) => b.end.getTime() - a.end.getTime())[0];
  if (inside) {
    return { kind: "write", write: { row, changes: {
      dueAt: inside.end, heldBy: "maintenance",
      note: `waiting until ${inside.end.toISOString()}: Azure announced maintenance (${inside.eventType}, event ${inside.eventId}) from ${inside.start.toISOString()}; the ${verbOf(actionOf(row, request))} waits for it to end`,
    } } };
  }
  const outlook = deps.backpressure.peek(row, now.getTime());
  if (!outlook.go) return { kind: "write", write: { row, changes: deferral(deps, row, outlook, now) } };
  return { kind: "call", row };
}

/**
 * One reservation covers the VMs of one subscription + region whose actions spend the same Compute policy (Compute's
 * bucket is per region and policy, ARM's per subscription): a stop with powerOff VMs among deallocations draws twice.
 */
function bySubscriptionAndRegion(claimed: Claimed[], request: RequestRecord): Map<string, Claimed[]> {
  const groups = new Map<string, Claimed[]>();
  for (const c of claimed) {
    const key = `${c.claimed.subscriptionId}|${c.claimed.location}|${computePolicyOf(actionOf(c.claimed, request))}`.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return groups;
}

/**
 * Reserves tokens from the shared budget for claimed VMs of one subscription + region (Compute's bucket for the
 * operation, and Resource Manager's writes) and sends the granted calls at once. A grant is good until its `callBy`
 * (the ledger counts its tokens in flight until then); a call that could not leave by then goes back for a new grant.
 * VMs beyond the grant are un-claimed and due when the budget has refilled, spread one token apart (not all back at the
 * next token: a herd would only be refused again). They do not wait in the invocation: a message that waited for the
 * refill would take it from the messages due by then, the other requests' among them.
 */
async function callWithinBudget(deps: EngineDeps, request: RequestRecord, group: Claimed[]): Promise<RowWrite[]> {
  const first = group[0]!.claimed;
  const operation = computePolicyOf(actionOf(first, request));
  const writes: RowWrite[] = [];
  let late = group;
  let notGranted: Claimed[] = [];
  let grant = { granted: 0, waitSeconds: 0, secondsPerToken: 0 };
  for (let round = 0; late.length > 0 && round < MAX_RESERVATIONS; round++) {
    const now = deps.clock.now().getTime();
    const callByMs = now + deps.settings.budgetCallWindowSeconds * 1000;
    grant = await deps.budget.reserve({ subscriptionId: first.subscriptionId, requestId: request.requestId, computeKey: `${first.location}|${operation}`, want: late.length, callByMs }, now);
    const results = await Promise.all(late.slice(0, grant.granted).map((c) => callInTime(deps, request, c, callByMs)));
    writes.push(...results.flatMap((r) => (r.kind === "done" && r.write ? [r.write] : [])));
    notGranted = [...notGranted, ...late.slice(grant.granted)];
    // A call that missed its grant's window tries again at once with a new grant.
    late = results.flatMap((r) => (r.kind === "late" ? [r.vm] : []));
  }
  const now = deps.clock.now();
  [...late, ...notGranted].forEach(({ before, claimed }, k) => {
    const dueAt = new Date(now.getTime() + (Math.max(grant.waitSeconds, 0.05) + k * grant.secondsPerToken) * 1000);
    writes.push({ row: claimed, changes: { ...unclaimed(before), dueAt, heldBy: "budget", note: `waiting until ${dueAt.toISOString()}: the subscription's shared budget (Compute ${operation} in ${claimed.location}, Resource Manager writes) is spent until it refills` } });
  });
  return writes;
}

type CallResult = { kind: "done"; write?: RowWrite } | { kind: "late"; vm: Claimed };

/**
 * How long after its claim a VM may still be called: half the stall grace. The sweep takes a claim whose VM has not
 * begun to move after the whole grace for one whose call never happened (the host died in between) and calls again, so
 * a call that left later than this could meet that second call. On a starved host (slow storage, a CPU stall) the
 * claim is given back instead, and the VM is due again at once.
 */
function claimCallByMs(deps: Pick<EngineDeps, "settings">, claimed: VmRecord): number {
  return (claimed.actedAt?.getTime() ?? 0) + (deps.settings.stallGraceSeconds * 1000) / 2;
}

/** Calls a claimed VM whose token was granted, unless its grant or its claim ran out first or the brakes say wait. */
async function callInTime(deps: EngineDeps, request: RequestRecord, vm: Claimed, callByMs: number): Promise<CallResult> {
  const now = deps.clock.now();
  if (now.getTime() > claimCallByMs(deps, vm.claimed)) {
    return { kind: "done", write: { row: vm.claimed, changes: {
      ...unclaimed(vm.before), dueAt: now, heldBy: undefined,
      note: `claimed at ${vm.claimed.actedAt?.toISOString()} but not called by ${new Date(claimCallByMs(deps, vm.claimed)).toISOString()} (the host was too slow); due again at once`,
    } } };
  }
  if (now.getTime() > callByMs) return { kind: "late", vm };
  const admission = deps.backpressure.admit(vm.claimed, now.getTime());
  // Not now after all (a guard or breaker hold): back to this attempt's number, due later. No call was made.
  if (!admission.go) return { kind: "done", write: { row: vm.claimed, changes: { ...unclaimed(vm.before), ...deferral(deps, vm.claimed, admission, now) } } };
  return { kind: "done", write: await call(deps, request, vm.claimed) };
}

/** The row fields a claim changed, as they were before it: the VM is back to waiting for the same attempt. */
function unclaimed(before: VmRecord): Partial<VmRecord> {
  return { status: before.status, attempt: before.attempt, actedAt: before.actedAt };
}

/** Same attempt, later: the row says until when and why; a breaker hold carries the outage (it lives in one host's memory). */
function deferral(deps: EngineDeps, row: VmRecord, admission: Extract<Admission, { go: false }>, now: Date): Partial<VmRecord> {
  const dueAt = new Date(now.getTime() + admission.waitSeconds * 1000);
  const changes: Partial<VmRecord> = { dueAt, note: `waiting until ${dueAt.toISOString()}: ${admission.reason}`, heldBy: admission.heldBy };
  const outage = admission.heldBy === "breaker" ? deps.backpressure.describeOutage(row) : undefined;
  if (outage) Object.assign(changes, { errorCode: outage.lastError.code, errorMessage: outageStory(outage) });
  return changes;
}

/** Sends the claimed VM's power action; returns the row change when Azure refused it (an accepted call is already recorded by its claim). */
async function call(deps: EngineDeps, request: RequestRecord, row: VmRecord): Promise<RowWrite | undefined> {
  const action = actionOf(row, request);
  try {
    const remaining = await deps.compute.requestPowerAction({ subscriptionId: row.subscriptionId, resourceGroup: row.resourceGroup, name: row.name }, action);
    deps.backpressure.afterCall(row, remaining, deps.clock.now().getTime());
    return undefined;
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    return { row, changes: retryOrFail(deps, row, error.failure, request.deadline, action) };
  }
}

/**
 * The deadline passed before the VM could be called (again). Keep the platform's own error when there was one, and
 * when the breaker held the VM back, say which domain was failing, since when, and with what.
 */
export function deadlineFailure(row: VmRecord, request: Pick<RequestRecord, "action" | "deadline">, backpressure: EngineDeps["backpressure"], now: Date): Partial<VmRecord> {
  const verb = verbOf(actionOf(row, request));
  if (row.heldBy === "breaker") {
    const outage = backpressure.describeOutage(row);
    const story = outage ? outageStory(outage) : row.errorMessage ?? `operations on ${domainName(row)} kept failing`;
    return {
      status: "Failed", finishedAt: now, dueAt: undefined, errorCode: "PlatformOperationsFailing",
      errorMessage: `the request deadline ${request.deadline.toISOString()} passed while Azure kept failing ${verb} operations: ${story}. ` +
        "This VM was held back so as not to hammer the platform; run the request again once the incident is over",
    };
  }
  return {
    status: "Failed", finishedAt: now, errorCode: row.errorCode ?? "DeadlineExceeded", dueAt: undefined,
    errorMessage: `the request deadline ${request.deadline.toISOString()} passed before the ${verb} could be completed${row.errorCode ? `; last error ${row.errorCode}: ${row.errorMessage}` : ""}`,
  };
}

/** "Windows VMs in westeurope of subscription …: 23 operations failed in a row since …, last X: …" */
function outageStory(outage: Outage): string {
  return `${outage.domain}: ${outage.failures} operations failed in a row since ${outage.since.toISOString()}, the last with ${outage.lastError.code}: ${outage.lastError.message}`;
}

/**
 * After a failed attempt (the call was refused, or the operation ended Failed): the row change that
 * waits and tries again, or records the failure with a reason. Shared by the act step and the sweep.
 * A hibernate the platform refused or failed is not retried as a hibernate: the VM is deallocated instead, at once,
 * and its outcome keeps HibernateUnavailable with the platform's words.
 */
export function retryOrFail(deps: EngineDeps, row: VmRecord, failure: ArmFailure, deadline: Date, action: PowerAction): Partial<VmRecord> {
  const now = deps.clock.now();
  const fallback = action === "hibernate" ? hibernateFallback(failure) : undefined;
  if (fallback) {
    return {
      status: "Waiting", attempt: row.status === "Acting" ? row.attempt : row.attempt + 1, dueAt: now, powerAction: fallback.then,
      fallbackCode: fallback.code, fallbackMessage: fallback.message, note: `hibernate failed (${failure.code}); deallocating instead`,
    };
  }
  const attemptsMade = row.status === "Acting" ? row.attempt : row.attempt + 1;
  const wasFailing = deps.backpressure.domainFailing(row);
  deps.backpressure.afterFailure(row, failure, now.getTime());
  // One line when a failure domain's breaker opens: what the workbook counts as breaker openings.
  if (!wasFailing && deps.backpressure.domainFailing(row)) deps.log(`Circuit breaker opened for ${domainName(row)} after ${failure.code}: ${failure.message.slice(0, 300)}`, { requestId: row.requestId, vmId: row.id });
  const decision = decideRetry(failure, attemptsMade, now, deadline, deps.settings.retry, deps.random, {
    domainFailing: deps.backpressure.domainFailing(row),
  });
  if (!decision.retry) {
    return { status: "Failed", finishedAt: now, attempt: attemptsMade, errorCode: failure.code, errorMessage: decision.reason, dueAt: undefined };
  }
  return {
    status: "Waiting", attempt: attemptsMade, dueAt: new Date(now.getTime() + decision.afterSeconds * 1000),
    errorCode: failure.code, errorMessage: failure.message, note: `${decision.failureClass} error; retrying after ${decision.afterSeconds}s`,
  };
}

function windowsByVm(windows: MaintenanceWindow[]): Map<string, MaintenanceWindow[]> {
  const out = new Map<string, MaintenanceWindow[]>();
  for (const w of windows) out.set(w.vmKey, [...(out.get(w.vmKey) ?? []), w]);
  return out;
}

/** A VM that waited for maintenance keeps saying so in its outcome; other waits are forgotten once it is called. */
function waitedFor(row: VmRecord): string | undefined {
  return row.heldBy === "maintenance" && row.note ? row.note.replace(/^waiting until [^ ]+: /, "waited: ") : undefined;
}
