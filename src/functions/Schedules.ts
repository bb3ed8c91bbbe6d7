/** GET /api/schedules — every named schedule, each with its next transitions. */
import { app, type HttpResponseInit } from "@azure/functions";
import { listSchedules } from "../schedules/scheduleApi";
import { apiResponse } from "./shared/http";
import { engine, scheduleStore } from "./shared/runtime";

export async function schedules(): Promise<HttpResponseInit> {
  return apiResponse(await listSchedules(scheduleStore(), engine().clock.now()));
}

app.http("Schedules", { methods: ["GET"], authLevel: "function", route: "schedules", handler: schedules });
