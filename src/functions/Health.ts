/**
 * GET /api/health — the last heartbeat, one entry per check with ok, a message, what to do, and when it was checked.
 * 200 when every check passed, 503 when one failed or no heartbeat has run yet (so a probe can alert on the status).
 */
import { app, type HttpResponseInit } from "@azure/functions";
import { json } from "./shared/http";
import { heartbeatStore } from "./shared/runtime";

export async function health(): Promise<HttpResponseInit> {
  const last = await heartbeatStore().last();
  if (!last) return json(503, { ok: false, message: "No heartbeat has run yet: HeartBeatAvailabilityTest runs on HEARTBEAT_SCHEDULE (every 5 minutes)." });
  return json(last.ok ? 200 : 503, last);
}

app.http("Health", { methods: ["GET"], authLevel: "function", route: "health", handler: health });
