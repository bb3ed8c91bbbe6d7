/**
 * POST /api/AutoStop — v2's AutoStop entry point: one metric alert per VM in scope that deallocates the VM when it
 * sits idle. Takes v2's body verbatim; stores it as the configuration and answers 202 with where to follow the sync,
 * or, with "WhatIf": true, the alerts it would create, update and delete, without writing.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { parseAutoStopRequest } from "../autostop/autoStopRequest";
import { planSync, startSync } from "../autostop/syncAlerts";
import type { AutoStopConfiguration } from "../autostop/autoStopStore";
import { updateConfiguration } from "../autostop/configurationUpdate";
import { invalidFields, json, problem, readJsonBody } from "./shared/http";
import { autoStop, config } from "./shared/runtime";

export async function autoStopHandler(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const read = await readJsonBody(request, config.maxRequestBodyBytes);
  if (!read.ok) return read.response;
  const parsed = parseAutoStopRequest(read.value, { maxScopeEntries: config.maxScopeEntries });
  if (!parsed.ok) return invalidFields(parsed.problems);
  const body = parsed.value;
  const deps = autoStop();
  if (body.enabled && !deps.settings.actionGroupId) {
    return problem(503, "AutoStop is not set up", "The setting AUTOSTOP_ACTION_GROUP_ID (the action group whose webhook calls AutoStopVM) is empty; `azd up` sets it.");
  }
  const posted = (previous: AutoStopConfiguration | undefined): AutoStopConfiguration => ({
    name: body.name, enabled: body.enabled, scopes: body.scopes, condition: body.condition,
    alertResourceGroups: previous?.alertResourceGroups ?? [], updatedAt: deps.clock.now(),
  });
  if (body.whatIf) return whatIf(posted(await deps.store.getConfiguration(body.name)));

  // Etag-checked: a sync run remembering a resource group at the same moment is never lost.
  const configuration = (await updateConfiguration(deps.store, body.name, posted))!;
  const run = await startSync(deps, configuration, "request");
  const statusUrl = `${new URL(request.url).origin}/api/autostop/runs/${run.runId}`;
  context.log(`AutoStop configuration "${body.name}" ${body.enabled ? "saved" : "switched off"}; sync run ${run.runId}`);
  return json(202, {
    runId: run.runId,
    configuration: body.name,
    enabled: body.enabled,
    statusUrl,
    successful: true,
    message: `~AutoStop: ${body.enabled ? "Accepted" : "Switching off"} AutoStop configuration "${body.name}" as run ${run.runId}. Each VM's alert outcome is at ${statusUrl}`,
  });
}

async function whatIf(configuration: AutoStopConfiguration): Promise<HttpResponseInit> {
  const deps = autoStop();
  const plan = await planSync(deps, { runId: "what-if", configuration, deadline: new Date(deps.clock.now().getTime() + 60_000) });
  if ("failure" in plan) return problem(503, "Azure could not be read right now", `${plan.failure}. Try again shortly.`);
  if ("retryAfterSeconds" in plan) return problem(503, "Azure could not be read right now", "Reading the VMs was throttled. Try again shortly.", undefined, { "retry-after": String(plan.retryAfterSeconds) });
  const list = (kind: string) => plan.changes.filter((c) => c.kind === kind);
  const entry = (c: (typeof plan.changes)[number]) => ({
    vmId: c.vmId,
    alertName: "alert" in c ? c.alert.name : undefined,
    detail: c.kind === "update" ? c.changes : c.kind === "delete" || c.kind === "excluded" ? c.reason : undefined,
  });
  return json(200, {
    whatIf: true,
    configuration: configuration.name,
    enabled: configuration.enabled,
    condition: configuration.condition,
    summary: { create: list("create").length, update: list("update").length, unchanged: list("unchanged").length, delete: list("delete").length, excluded: list("excluded").length },
    create: list("create").map(entry),
    update: list("update").map(entry),
    delete: list("delete").map(entry),
    unchanged: list("unchanged").map(entry),
    excluded: list("excluded").map(entry),
    scopeErrors: plan.found.scopeErrors,
    keptUnread: plan.blind,
  });
}


app.http("AutoStop", { methods: ["POST"], authLevel: "function", route: "AutoStop", handler: autoStopHandler });
