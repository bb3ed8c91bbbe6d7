/** GET /api/schedules/{name}/preview?from=&to= — the schedule's transitions in that window, as UTC and local times. */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { previewSchedule } from "../schedules/scheduleApi";
import { apiResponse } from "./shared/http";
import { engine, scheduleStore } from "./shared/runtime";

export async function schedulePreview(request: HttpRequest): Promise<HttpResponseInit> {
  const query = { from: request.query.get("from"), to: request.query.get("to") };
  return apiResponse(await previewSchedule(scheduleStore(), request.params.name ?? "", query, engine().clock.now()));
}

app.http("SchedulePreview", { methods: ["GET"], authLevel: "function", route: "schedules/{name}/preview", handler: schedulePreview });
