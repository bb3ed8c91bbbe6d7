/**
 * POST /api/AutoStopVM — the webhook the AutoStop action group calls (common alert schema). Only a metric alert this
 * app manages, on the VM it names, is acted on: `Fired` deallocates the VM through the request engine (202 with the
 * status URL), `Resolved` does nothing. Anything else is refused with 4xx and changes nothing.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { parseAlertNotification } from "../autostop/alertWebhook";
import { stopOnAlert } from "../autostop/stopOnAlert";
import { isArmRequestError } from "../domain/armError";
import { invalidFields, json, problem, readJsonBody } from "./shared/http";
import { autoStop, config, engine } from "./shared/runtime";
import { withCaller } from "./shared/callerGate";

export async function autoStopVm(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const read = await readJsonBody(request, config.maxRequestBodyBytes);
  if (!read.ok) return read.response;
  const parsed = parseAlertNotification(read.value);
  if (!parsed.ok) return invalidFields([{ field: parsed.field, message: parsed.message }]);
  const notification = parsed.value;
  let verdict;
  try {
    verdict = await stopOnAlert(engine(), autoStop(), notification);
  } catch (error) {
    if (!isArmRequestError(error)) throw error;
    // 5xx: the action group retries the delivery, which is what we want while Azure cannot be read.
    return problem(503, "The alert could not be checked", `Reading the alert rule failed with ${error.failure.code}: ${error.failure.message}`, undefined, { "retry-after": "30" });
  }
  switch (verdict.kind) {
    case "refused":
      context.warn(`AutoStopVM refused a notification for ${notification.vm.name} (${verdict.code}): ${verdict.reason}`);
      return problem(verdict.status, "Not an AutoStop alert of this app", verdict.reason);
    case "ignored":
      return json(200, { successful: true, action: "none", message: verdict.reason });
    case "stopping": {
      const statusUrl = `${new URL(request.url).origin}/api/requests/${verdict.request.requestId}`;
      context.log(`AutoStopVM: alert ${notification.ruleName} fired; ${verdict.duplicate ? "joined" : "started"} stop request ${verdict.request.requestId}`);
      return json(202, {
        successful: true, action: "stop", requestId: verdict.request.requestId, duplicate: verdict.duplicate, statusUrl,
        message: `~AutoStopVM: ${verdict.duplicate ? "A stop of this VM is already running" : "Deallocating the idle VM"} as request ${verdict.request.requestId}; its outcome is at ${statusUrl}`,
      });
    }
  }
}

// Azure Monitor's secure webhook: the action group's Entra token, no key (src/trust/, docs/security.md).
app.http("AutoStopVM", { methods: ["POST"], authLevel: "anonymous", route: "AutoStopVM", handler: withCaller("alerts", autoStopVm) });
