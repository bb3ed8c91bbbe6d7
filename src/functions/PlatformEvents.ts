/**
 * POST /api/events — a VM's scheduled-events agent reports an event it saw in IMDS (Freeze, Reboot, Redeploy, Preempt,
 * Terminate). No function key: the agent proves which VM it runs on with that VM's managed-identity token.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { checkVmToken } from "../platformEvents/managedIdentityToken";
import { parseEventReport } from "../platformEvents/eventReport";
import { admitReport } from "../platformEvents/reportAdmission";
import { invalidFields, json, problem, readJsonBody } from "./shared/http";
import { platformEvents } from "./shared/runtime";

const MAX_BODY_BYTES = 64 * 1024;

export async function reportPlatformEvent(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const deps = platformEvents();
  if (!deps) return problem(404, "Event reports are not enabled", "Set EVENTS_TOKEN_AUDIENCE (and AZURE_TENANT_ID) to accept reports from the scheduled-events agent.");
  const check = await checkVmToken(request.headers.get("authorization"), deps.settings, deps.keys, () => deps.clock.now());
  if (!check.ok) {
    const headers: Record<string, string> | undefined = check.status === 401 ? { "www-authenticate": "Bearer" } : check.status === 503 ? { "retry-after": "30" } : undefined;
    return problem(check.status, check.status === 401 ? "Not authenticated" : check.status === 503 ? "Cannot check the token now" : "Forbidden", check.reason, undefined, headers);
  }

  const body = await readJsonBody(request, MAX_BODY_BYTES);
  if (!body.ok) return body.response;
  const parsed = parseEventReport(body.value);
  if (!parsed.ok) return invalidFields(parsed.problems);
  if (parsed.value.vmKey !== check.vmKey) {
    return problem(403, "Forbidden", `The token belongs to ${check.vmKey}; an agent may only report events of its own VM, not ${parsed.value.vmKey}.`);
  }
  // Only VMs this app manages, within the VM's report rate limit (src/platformEvents/reportAdmission.ts).
  const admitted = await admitReport({ targetScopes: deps.targetScopes, desiredStates: deps.desiredStates, log: deps.store }, parsed.value, deps.clock.now());
  if (!admitted.recorded) {
    return problem(admitted.status, admitted.status === 429 ? "Too many reports" : "Forbidden", admitted.reason, undefined,
      admitted.status === 429 ? { "retry-after": String(admitted.retryAfterSeconds) } : undefined);
  }
  context.log(`Scheduled event ${parsed.value.eventId} (${parsed.value.eventType}, ${parsed.value.status}) reported for ${parsed.value.vmKey}`);
  return json(202, { recorded: true, vmId: parsed.value.vmKey, eventId: parsed.value.eventId });
}

app.http("PlatformEvents", { methods: ["POST"], authLevel: "anonymous", route: "events", handler: reportPlatformEvent });
