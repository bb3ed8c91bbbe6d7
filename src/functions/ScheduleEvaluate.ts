/** POST /api/schedules/evaluate — what a schedule (inline, or a stored one by name) wants at an instant. Writes nothing. */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { evaluateSchedule } from "../schedules/scheduleApi";
import { apiResponse, readJsonBody } from "./shared/http";
import { engine, scheduleStore } from "./shared/runtime";

const MAX_BODY_BYTES = 64 * 1024;

export async function scheduleEvaluate(request: HttpRequest): Promise<HttpResponseInit> {
  const body = await readJsonBody(request, MAX_BODY_BYTES);
  if (!body.ok) return body.response;
  return apiResponse(await evaluateSchedule(scheduleStore(), body.value, engine().clock.now()));
}

app.http("ScheduleEvaluate", { methods: ["POST"], authLevel: "function", route: "schedules/evaluate", handler: scheduleEvaluate });
