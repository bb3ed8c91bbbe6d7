/**
 * POST /api/Scheduled — v2's entry point, called by Logic Apps schedules and by people with curl.
 * Takes v2's payload verbatim; answers 202 with where to follow the run, or, with "WhatIf": true,
 * the VMs the request would act on, without acting.
 */
import { formatPowerState } from "../domain/power";
import { billingWarning, plannedCallOf, powerActionFor, targetPowerState } from "../targets/powerAction";
import { describeKind } from "../targets/targetKind";
import { createHash } from "node:crypto";
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { isArmRequestError } from "../domain/armError";
import { parseScheduledRequest, type ScheduledRequest } from "../domain/scheduledRequest";
import { expandScopes } from "../engine/expandScopes";
import { planRun } from "../engine/orchestrate";
import { submitRequest } from "../engine/submitRequest";
import { invalidFields, json, problem, readJsonBody } from "./shared/http";
import { config, engine, scheduleStateStore } from "./shared/runtime";
import { overrideView } from "../schedules/overrideApi";

const MAX_IDEMPOTENCY_KEY = 255;

export async function scheduled(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const read = await readJsonBody(request, config.maxRequestBodyBytes);
  if (!read.ok) return read.response;
  const { value: body, text } = read;
  const parsed = parseScheduledRequest(body, { maxScopeEntries: config.maxScopeEntries });
  const identity = idempotencyIdentity(request, text);
  const problems = [...(parsed.ok ? [] : parsed.problems), ...(identity.ok ? [] : [identity.problem])];
  if (!parsed.ok || !identity.ok) return invalidFields(problems);

  if (parsed.value.whatIf) return whatIf(parsed.value, context);

  const { record, duplicate } = await submitRequest(engine(), parsed.value, identity.value);
  const statusUrl = `${new URL(request.url).origin}/api/requests/${record.requestId}`;
  context.log(`${duplicate ? "Returned existing" : "Accepted"} ${record.action} request ${record.requestId}`);
  return json(202, {
    requestId: record.requestId,
    statusUrl,
    successful: true,
    duplicate,
    message: `~Scheduled: Accepted the ${record.action} action as request ${record.requestId}. ` +
      `Each VM's outcome (reached ${formatPowerState(targetPowerState(powerActionFor(record.action, record.request.stopMode ?? "deallocate")))} or failed, and why) is at ${statusUrl}`,
  });
}

type IdentityResult = { ok: true; value?: string } | { ok: false; problem: { field: string; message: string } };

/**
 * Idempotency-Key names one logical request. Logic Apps' run id is shared by every action of a run, so
 * it only identifies a request together with the body (a retried action resends the same body).
 */
function idempotencyIdentity(request: HttpRequest, body: string): IdentityResult {
  const key = request.headers.get("idempotency-key");
  if (key !== null) {
    // No comma: HTTP joins a repeated header with ", ", so "a," could be two keys ("a" and an empty one).
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY || !/^[\x21-\x2b\x2d-\x7e]+$/.test(key)) {
      return { ok: false, problem: { field: "Idempotency-Key (header)", message: `must be one header of 1-${MAX_IDEMPOTENCY_KEY} visible ASCII characters without spaces or commas` } };
    }
    return { ok: true, value: `key:${key}:${sha256(body)}` };
  }
  const runId = request.headers.get("x-ms-workflow-run-id");
  return { ok: true, value: runId ? `run:${runId}:${sha256(body)}` : undefined };
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

async function whatIf(request: ScheduledRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let expansion;
  try {
    const result = await expandScopes(engine().compute, request.scopes);
    if ("incomplete" in result) {
      return problem(503, "Azure could not be read right now", `Reading the VMs one by one was throttled (${result.reason}). Try again shortly.`, undefined, {
        "retry-after": String(Math.ceil(result.retryAfterSeconds)),
      });
    }
    expansion = result;
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    context.warn(`WhatIf could not list VMs: ${error.message}`);
    return problem(503, "Azure could not be read right now", `Listing the VMs failed with ${error.failure.code}: ${error.failure.message}. Try again shortly.`, undefined, {
      "retry-after": String(Math.ceil(error.failure.retryAfterSeconds ?? 10)),
    });
  }
  const now = new Date();
  const { rows, sequence } = planRun(
    { requestId: "what-if", action: request.action, request, stage: "accepted", state: "Accepted", createdAt: now, deadline: now, vmCount: 0, scopeErrors: [] },
    expansion,
    now,
    config.pacing,
  );
  const plan = (r: (typeof rows)[number]) =>
    r.status === "Pending" || r.status === "Held" ? plannedCallOf(r.powerAction ?? powerActionFor(request.action, request.stopMode ?? "deallocate"))
      : r.status === "Acting" ? "WillVerify" : r.status === "Skipped" ? "Excluded" : r.status === "Failed" ? "CannotAct" : r.status;
  const vms = rows.map((r) => {
    const willCall = r.status === "Pending" || r.status === "Held";
    return {
      id: r.id, name: r.name, subscriptionId: r.subscriptionId, resourceGroup: r.resourceGroup, location: r.location,
      kind: r.kind ? describeKind(r.kind, r.scaleSetId) : undefined,
      powerState: r.powerState ? `PowerState/${r.powerState}` : undefined, plan: plan(r),
      group: r.group === undefined ? undefined : sequence?.groups[r.group]?.value,
      reason: r.status === "Held" ? undefined : (r.note ?? r.errorMessage),
      fallback: willCall && r.fallbackCode ? { code: r.fallbackCode, message: r.fallbackMessage } : undefined,
      warning: willCall && r.powerAction ? billingWarning(r.powerAction) : undefined,
    };
  });
  // Overrides hold VMs against their schedules (the ScheduleEvaluator); a WhatIf names them so nobody is surprised.
  // Storage that does not answer leaves the WhatIf without them rather than failing it.
  const overrides = await scheduleStateStore().overrides().catch((error: unknown) => {
    context.warn(`WhatIf could not read schedule overrides: ${(error as Error).message}`);
    return new Map<string, never>();
  });
  const appNow = engine().clock.now();
  for (const v of vms as (typeof vms[number] & { scheduleOverride?: ReturnType<typeof overrideView> })[]) {
    const o = overrides.get(v.id.toLowerCase());
    if (o && o.until.getTime() > appNow.getTime()) v.scheduleOverride = overrideView(o, appNow);
  }
  const count = (p: string) => vms.filter((v) => v.plan === p).length;
  return json(200, {
    whatIf: true,
    action: request.action,
    stopMode: request.action === "stop" ? (request.stopMode ?? "deallocate") : undefined,
    warnings: [...new Set(vms.flatMap((v) => (v.warning ? [v.warning] : [])))],
    summary: {
      total: vms.length,
      willAct: count("WillStart") + count("WillDeallocate") + count("WillHibernate") + count("WillPowerOff"),
      willVerify: count("WillVerify"),
      alreadyInState: count("AlreadyInState"),
      excluded: count("Excluded"),
      cannotAct: count("CannotAct"),
    },
    sequence: sequence && {
      tag: sequence.tag,
      continueOnError: sequence.continueOnError,
      delaySeconds: sequence.delaySeconds,
      groups: sequence.groups.map((g, index) => ({ value: g.value, vms: rows.filter((r) => r.group === index).map((r) => r.name) })),
    },
    vms,
    scaleSets: scaleSetsOf(rows.map((r, i) => ({ scaleSetId: r.scaleSetId, vm: vms[i]! }))),
    scopeErrors: expansion.scopeErrors,
  });
}

/** Each Flexible scale set of the plan with its members, each with its plan and reason. */
function scaleSetsOf(rows: { scaleSetId?: string; vm: { name: string; plan: string; reason?: string } }[]) {
  const sets = new Map<string, { id: string; orchestrationMode: "Flexible"; members: { name: string; plan: string; reason?: string }[] }>();
  for (const { scaleSetId, vm } of rows) {
    if (!scaleSetId) continue;
    const key = scaleSetId.toLowerCase();
    const set = sets.get(key) ?? { id: scaleSetId, orchestrationMode: "Flexible" as const, members: [] };
    set.members.push({ name: vm.name, plan: vm.plan, reason: vm.reason });
    sets.set(key, set);
  }
  return [...sets.values()];
}

app.http("Scheduled", { methods: ["POST"], authLevel: "function", route: "Scheduled", handler: scheduled });
