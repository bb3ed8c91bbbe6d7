/** GET /api/autostop/runs/{runId} — one AutoStop sync run: its state and each VM's alert outcome, failures first. */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { isGuid } from "../domain/resourceId";
import { invalidFields, json, problem } from "./shared/http";
import { autoStop } from "./shared/runtime";

const ORDER = ["Failed", "Created", "Updated", "Deleted", "Excluded", "Unchanged"];

export async function autoStopRunStatus(request: HttpRequest): Promise<HttpResponseInit> {
  const runId = request.params.runId ?? "";
  // A run id is a GUID: anything else never reaches storage (a key with "/", "#", "?" or controls is refused by Table).
  if (!isGuid(runId)) return invalidFields([{ field: "runId (path)", message: "must be the runId returned by POST /api/AutoStop (a GUID)" }]);
  const deps = autoStop();
  const run = await deps.store.getRun(runId);
  if (!run) return problem(404, "No such AutoStop run", `No AutoStop run has the id "${runId}".`);
  const outcomes = (await deps.store.listOutcomes(runId)).sort((a, b) => ORDER.indexOf(a.outcome) - ORDER.indexOf(b.outcome) || a.vmId.localeCompare(b.vmId));
  return json(200, {
    runId: run.runId,
    configuration: run.configuration.name,
    enabled: run.configuration.enabled,
    trigger: run.trigger,
    state: run.state,
    createdAt: run.createdAt.toISOString(),
    completedAt: run.completedAt?.toISOString(),
    counts: run.counts,
    message: run.message,
    vms: outcomes.map((o) => ({ ...o, at: o.at.toISOString() })),
  });
}

app.http("AutoStopRunStatus", { methods: ["GET"], authLevel: "function", route: "autostop/runs/{runId}", handler: autoStopRunStatus });
