/**
 * The executor's "act" step: send start or deallocate once per attempt, record that Azure accepted it,
 * and leave verification to the sweep. This is the only place a power action is sent.
 */
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { decideRetry } from "../domain/retryPolicy";
import { isTerminal } from "../domain/runState";
import type { EngineDeps, MaintenanceWindow, RowWrite } from "./ports";
import type { ActMessage, RequestRecord, VmRecord } from "./records";
import { mapWithConcurrency } from "./concurrency";
import { writeRows } from "./rowWrites";
import { domainName, type Admission, type Outage } from "./backpressure";

const VMS_IN_PARALLEL = 16;
/**
 * A VM whose bucket refills within this long waits in the invocation instead of going back to the queue:
 * a round trip through the queue costs seconds (delay rounding, polling), and at a bucket's refill rate
 * every VM of a run would pay it.
 */
const MAX_INLINE_WAIT_SECONDS = 2;

/**
 * Handles an act message. Each VM is decided on its own (one VM's failure never holds up the others); the VMs
 * that may be called now are first **claimed** in one batch (an etag-checked write: Acting, attempt n+1), and only
 * those whose claim landed are called. Two deliveries of the same work (at-least-once delivery, a sweep's re-kick
 * next to the original message) therefore never both call: the second finds the row already claimed. A claim whose
 * call never happened (the host died in between) is found by the sweep, which sees the VM not moving and re-kicks it.
 * What the calls returned, and the VMs that must wait, are written in a second batch.
 */
export async function actOnVms(deps: EngineDeps, message: ActMessage): Promise<void> {
  // The request row is the truth for action and deadline; the message only says which rows to look at.
  const request = await deps.store.getRequest(message.requestId);
  if (!request || request.stage === "completed") return;
  const maintenance = windowsByVm(await deps.maintenance.openWindows(deps.clock.now()));
  const decided = await mapWithConcurrency(message.vms, VMS_IN_PARALLEL, (vm) => decide(deps, request, vm, maintenance.get(vm.key)));
  const wanted = decided.filter((d): d is Extract<Decision, { kind: "call" }> => d?.kind === "call");
  // The shared budget first: across requests and instances, only as many calls as Azure's buckets allow now.
  const { toCall, waiting } = await reserveSharedBudget(deps, request, wanted.map((d) => d.row));
  const claims = await writeRows(deps, request, toCall.map((row) => ({
    row, changes: { status: "Acting", actedAt: deps.clock.now(), attempt: row.attempt + 1, dueAt: undefined, note: waitedFor(row), heldBy: undefined },
  })));
  // The budget's token is taken right before each call (not before the claim), so calls reach Azure at the pace
  // they were admitted however long the claim took.
  const outcomes = await mapWithConcurrency(toCall.map((row, i) => ({ before: row, claimed: claims[i] })), VMS_IN_PARALLEL, ({ before, claimed }) =>
    claimed ? admitAndCall(deps, request, before, claimed) : Promise.resolve(undefined));
  const writes = [
    ...decided.filter((d): d is Extract<Decision, { kind: "write" }> => d?.kind === "write").map((d) => d.write),
    ...waiting,
    ...outcomes.filter((w): w is RowWrite => w !== undefined),
  ];
  await writeRows(deps, request, writes);
}

type Decision = { kind: "call"; row: VmRecord } | { kind: "write"; write: RowWrite } | undefined;

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
      note: `waiting until ${inside.end.toISOString()}: Azure announced maintenance (${inside.eventType}, event ${inside.eventId}) from ${inside.start.toISOString()}; the ${request.action} waits for it to end`,
    } } };
  }
  const outlook = deps.backpressure.peek(row, now.getTime());
  if (!outlook.go && outlook.waitSeconds > MAX_INLINE_WAIT_SECONDS) return { kind: "write", write: { row, changes: deferral(deps, row, outlook, now) } };
  return { kind: "call", row };
}

/**
 * Draws tokens from the shared budget for the VMs about to be called, one reservation per subscription + region
 * (Compute's bucket for the operation, and Resource Manager's writes). VMs beyond the grant wait, unclaimed, until the
 * buckets refill: the same deferral as a local budget hold, so their act message comes back then.
 */
async function reserveSharedBudget(deps: EngineDeps, request: RequestRecord, rows: VmRecord[]): Promise<{ toCall: VmRecord[]; waiting: RowWrite[] }> {
  const groups = new Map<string, VmRecord[]>();
  for (const row of rows) {
    const key = `${row.subscriptionId}|${row.location}`.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const toCall: VmRecord[] = [];
  const waiting: RowWrite[] = [];
  const operation = request.action === "start" ? "UpdateVM" : "DeleteVM";
  for (const group of groups.values()) {
    const first = group[0]!;
    const now = deps.clock.now();
    const grant = await deps.budget.reserve({ subscriptionId: first.subscriptionId, computeKey: `${first.location}|${operation}`, want: group.length }, now.getTime());
    toCall.push(...group.slice(0, grant.granted));
    // Spread over the refill (one token each), not all back at the next token: a herd would only be refused again.
    group.slice(grant.granted).forEach((row, k) => {
      const dueAt = new Date(now.getTime() + (Math.max(grant.waitSeconds, 0.05) + k * grant.secondsPerToken) * 1000);
      waiting.push({ row, changes: { dueAt, heldBy: "budget", note: `waiting until ${dueAt.toISOString()}: the subscription's shared budget (Compute ${operation} in ${row.location}, Resource Manager writes) is spent until it refills` } });
    });
  }
  return { toCall, waiting };
}

/** Takes the VM's token (waiting for it inline when it is close) and calls; a VM that must wait longer is un-claimed. */
async function admitAndCall(deps: EngineDeps, request: RequestRecord, before: VmRecord, claimed: VmRecord): Promise<RowWrite | undefined> {
  let now = deps.clock.now();
  let admission = deps.backpressure.admit(claimed, now.getTime());
  for (let waited = 0; !admission.go; ) {
    const pause = Math.max(admission.waitSeconds, 0.05);
    if (waited + pause > MAX_INLINE_WAIT_SECONDS) break;
    await deps.clock.sleep(pause);
    waited += pause;
    now = deps.clock.now();
    admission = deps.backpressure.admit(claimed, now.getTime());
  }
  if (admission.go) return call(deps, request, claimed);
  // Not now after all: back to this attempt's number, due later. No call was made, so nothing is counted.
  return { row: claimed, changes: { status: before.status, attempt: before.attempt, actedAt: before.actedAt, ...deferral(deps, claimed, admission, now) } };
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
  try {
    const remaining = await deps.compute.requestPowerAction({ subscriptionId: row.subscriptionId, resourceGroup: row.resourceGroup, name: row.name }, request.action);
    deps.backpressure.afterCall(row, remaining, deps.clock.now().getTime());
    return undefined;
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    return { row, changes: retryOrFail(deps, row, error.failure, request.deadline) };
  }
}

/**
 * The deadline passed before the VM could be called (again). Keep the platform's own error when there was one, and
 * when the breaker held the VM back, say which domain was failing, since when, and with what.
 */
export function deadlineFailure(row: VmRecord, request: Pick<RequestRecord, "action" | "deadline">, backpressure: EngineDeps["backpressure"], now: Date): Partial<VmRecord> {
  if (row.heldBy === "breaker") {
    const outage = backpressure.describeOutage(row);
    const story = outage ? outageStory(outage) : row.errorMessage ?? `operations on ${domainName(row)} kept failing`;
    return {
      status: "Failed", finishedAt: now, dueAt: undefined, errorCode: "PlatformOperationsFailing",
      errorMessage: `the request deadline ${request.deadline.toISOString()} passed while Azure kept failing ${request.action} operations: ${story}. ` +
        "This VM was held back so as not to hammer the platform; run the request again once the incident is over",
    };
  }
  return {
    status: "Failed", finishedAt: now, errorCode: row.errorCode ?? "DeadlineExceeded", dueAt: undefined,
    errorMessage: `the request deadline ${request.deadline.toISOString()} passed before the ${request.action} could be completed${row.errorCode ? `; last error ${row.errorCode}: ${row.errorMessage}` : ""}`,
  };
}

/** "Windows VMs in westeurope of subscription …: 23 operations failed in a row since …, last X: …" */
function outageStory(outage: Outage): string {
  return `${outage.domain}: ${outage.failures} operations failed in a row since ${outage.since.toISOString()}, the last with ${outage.lastError.code}: ${outage.lastError.message}`;
}

/**
 * After a failed attempt (the call was refused, or the operation ended Failed): the row change that
 * waits and tries again, or records the failure with a reason. Shared by the act step and the sweep.
 */
export function retryOrFail(deps: EngineDeps, row: VmRecord, failure: ArmFailure, deadline: Date): Partial<VmRecord> {
  const now = deps.clock.now();
  const attemptsMade = row.status === "Acting" ? row.attempt : row.attempt + 1;
  deps.backpressure.afterFailure(row, failure, now.getTime());
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
