/**
 * GET /api/postpone?token=… — what a postpone link from a stop notice would do, with a button (a link preview or a
 * mail scanner opening it changes nothing); POST /api/postpone?token=… — does it. The signed token is the proof
 * (src/trust/signedLink.ts, src/schedules/postpone.ts): tampered, expired or used → 403, nothing changed.
 */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { applyPostpone, inspectPostpone } from "../schedules/postpone";
import { apiResponse, problem } from "./shared/http";
import { config, engine, scheduleStateStore } from "./shared/runtime";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function postpone(request: HttpRequest): Promise<HttpResponseInit> {
  const key = config.schedules.postponeLinkKey;
  if (!key) return problem(404, "Postpone links are off", "Set POSTPONE_LINK_KEY (and NOTIFY_WEBHOOK_URL for the notices) to use them.");
  const token = request.query.get("token") ?? "";
  const now = engine().clock.now();
  if (request.method === "POST") return apiResponse(await applyPostpone(scheduleStateStore(), key, token, now));
  const link = inspectPostpone(key, token, now);
  if (!link.ok) return apiResponse(link.answer);
  const html = `<!doctype html><meta charset="utf-8"><title>Postpone the stop</title>
<p>Schedule <b>${escape(link.schedule)}</b> stops ${link.vms.length} VM(s) at ${escape(link.stopAt.toISOString())}.</p>
<form method="post" action="?token=${escape(token)}"><button>Keep them running ${link.hours} hour(s) longer</button></form>`;
  return { status: 200, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "referrer-policy": "no-referrer" }, body: html };
}

app.http("Postpone", { methods: ["GET", "POST"], authLevel: "anonymous", route: "postpone", handler: postpone });
