/** PUT / GET / DELETE /api/schedules/{name} — one named schedule (the body: docs/schedules.md). */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { deleteSchedule, getSchedule, putSchedule } from "../schedules/scheduleApi";
import { apiResponse, readJsonBody } from "./shared/http";
import { engine, scheduleStore } from "./shared/runtime";

const MAX_BODY_BYTES = 64 * 1024;

export async function schedule(request: HttpRequest): Promise<HttpResponseInit> {
  const name = request.params.name ?? "";
  const now = engine().clock.now();
  if (request.method === "GET") return apiResponse(await getSchedule(scheduleStore(), name, now));
  if (request.method === "DELETE") return apiResponse(await deleteSchedule(scheduleStore(), name));
  const body = await readJsonBody(request, MAX_BODY_BYTES);
  if (!body.ok) return body.response;
  return apiResponse(await putSchedule(scheduleStore(), name, body.value, now));
}

app.http("Schedule", { methods: ["GET", "PUT", "DELETE"], authLevel: "function", route: "schedules/{name}", handler: schedule });
