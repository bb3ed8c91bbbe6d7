/** POST / DELETE /api/vms/{vmId}/override — hold a VM against its schedule until an instant, or lift that (src/schedules/overrideApi.ts). */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { parseVmId, vmId, vmKey } from "../domain/resourceId";
import { deleteOverride, putOverride } from "../schedules/overrideApi";
import { apiResponse, invalidFields, readJsonBody } from "./shared/http";
import { engine, scheduleStateStore } from "./shared/runtime";

export async function vmOverride(request: HttpRequest): Promise<HttpResponseInit> {
  const raw = decodeURIComponent(request.params.vmId ?? "");
  const m = /^(.*)\/override\/?$/i.exec(raw.startsWith("/") ? raw : `/${raw}`);
  const ref = m ? parseVmId(m[1]!) : undefined;
  if (!ref) return invalidFields([{ field: "vmId (path)", message: "must be /api/vms/<VM resource ID>/override, e.g. /api/vms/subscriptions/<id>/resourceGroups/<name>/providers/Microsoft.Compute/virtualMachines/<vm-name>/override" }]);
  if (request.method === "DELETE") return apiResponse(await deleteOverride(scheduleStateStore(), vmKey(ref), vmId(ref)));
  const body = await readJsonBody(request, 4096);
  if (!body.ok) return body.response;
  return apiResponse(await putOverride(scheduleStateStore(), vmKey(ref), vmId(ref), body.value, engine().clock.now()));
}

app.http("VmOverride", { methods: ["POST", "DELETE"], authLevel: "function", route: "vms/{*vmId}", handler: vmOverride });
