/**
 * GET /api/vms/{vmId} — one VM as the app sees it: the state it should be in and which request said so, that
 * request's outcome for it, the last time it was found deallocated against that (evicted or stopped by someone), and
 * the maintenance its scheduled-events agent reported, and the schedule it follows with the evaluator's last decision.
 */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { parseVmId, vmId, vmKey } from "../domain/resourceId";
import { overrideView } from "../schedules/overrideApi";
import { invalidFields, json, problem } from "./shared/http";
import { engine, evictionStore, platformEvents, scheduleStateStore } from "./shared/runtime";

export async function vmState(request: HttpRequest): Promise<HttpResponseInit> {
  // The id may arrive percent-encoded once more (%2F for "/"); a second decoding of text that is not valid
  // percent-encoding ("%25zz" → "%zz") is a bad path, not a URIError.
  let raw = request.params.vmId ?? "";
  try {
    raw = decodeURIComponent(raw);
  } catch {
    return invalidFields([{ field: "vmId (path)", message: "is not valid percent-encoding; send the VM resource ID, with \"/\" or %2F between its parts" }]);
  }
  const ref = parseVmId(raw.startsWith("/") ? raw : `/${raw}`);
  if (!ref) return invalidFields([{ field: "vmId (path)", message: "must be a VM resource ID: /subscriptions/<id>/resourceGroups/<name>/providers/Microsoft.Compute/virtualMachines/<vm-name>" }]);
  const key = vmKey(ref);
  const deps = engine();
  const desired = await deps.desiredStates.get(key);
  const eviction = await evictionStore().get(key);
  const events = platformEvents();
  const maintenance = events ? (await events.store.listForVm(key)).filter((e) => !e.notBefore || e.notBefore.getTime() + Math.max(0, e.durationSeconds) * 1000 >= deps.clock.now().getTime()) : [];
  const scheduled = await scheduleStateStore().get(key);
  const override = await scheduleStateStore().getOverride(key);
  if (!desired && maintenance.length === 0 && !scheduled && !override) {
    return problem(404, "Unknown VM", `No request has named ${vmId(ref)} yet, and no maintenance was reported for it.`);
  }
  const row = desired ? await deps.store.getVmRow(desired.requestId, key) : undefined;
  return json(200, {
    id: vmId(ref),
    desiredState: desired && {
      powerState: `PowerState/${desired.desired}`, setBy: desired.requestId, action: desired.action, requestCreatedAt: desired.requestCreatedAt.toISOString(),
    },
    lastRequest: row && {
      requestId: row.requestId, outcome: row.status, powerState: row.powerState ? `PowerState/${row.powerState}` : undefined,
      attempts: row.attempt, errorCode: row.errorCode, errorMessage: row.errorMessage, note: row.note, finishedAt: row.finishedAt?.toISOString(),
    },
    lastEviction: eviction && {
      verdict: eviction.verdict, at: eviction.at?.toISOString(), detail: eviction.detail, source: eviction.source, detectedAt: eviction.detectedAt.toISOString(),
      lostRunningOf: eviction.desiredRequestId, restartRequestId: eviction.restartRequestId, recoveredAt: eviction.recoveredAt?.toISOString(),
    },
    schedule: scheduled && {
      name: scheduled.schedule, storedState: scheduled.stored, lastDecision: { at: scheduled.decidedAt.toISOString(), action: scheduled.action, reason: scheduled.reason, requestId: scheduled.requestId },
    },
    override: override && overrideView(override, deps.clock.now()),
    upcomingMaintenance: maintenance.map((e) => ({
      eventId: e.eventId, eventType: e.eventType, status: e.status, notBefore: e.notBefore?.toISOString(), durationSeconds: e.durationSeconds,
      description: e.description, source: e.source, reportedAt: e.receivedAt.toISOString(),
    })),
  });
}

app.http("VmState", { methods: ["GET"], authLevel: "function", route: "vms/{*vmId}", handler: vmState });
