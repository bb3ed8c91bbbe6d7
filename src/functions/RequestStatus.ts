/** GET /api/requests/{requestId} — where a run stands, with each VM's outcome (paged, filterable). */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { isGuid } from "../domain/resourceId";
import { readStatus, STATUS_FILTERS, type StatusFilter } from "../engine/status";
import { invalidFields, json, problem } from "./shared/http";
import { engine } from "./shared/runtime";

const MAX_PAGE = 1000;

export async function requestStatus(request: HttpRequest): Promise<HttpResponseInit> {
  const requestId = request.params.requestId ?? "";
  const outcome = request.query.get("outcome") ?? undefined;
  const topText = request.query.get("top");
  const top = topText === null ? 100 : Number(topText);
  const errors = [];
  if (!isGuid(requestId)) errors.push({ field: "requestId (path)", message: "must be the requestId returned by POST /api/Scheduled (a GUID)" });
  if (outcome !== undefined && !(STATUS_FILTERS as readonly string[]).includes(outcome)) {
    errors.push({ field: "outcome (query)", message: `must be one of ${STATUS_FILTERS.join(", ")}` });
  }
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) errors.push({ field: "top (query)", message: `must be an integer from 1 to ${MAX_PAGE}` });
  if (errors.length > 0) return invalidFields(errors);

  const view = await readStatus(engine(), requestId.toLowerCase(), {
    outcome: outcome as StatusFilter | undefined,
    top,
    after: request.query.get("continuationToken") ?? undefined,
  });
  if (!view) return problem(404, "No such request", `No request ${requestId} exists; requests are kept in requeststoretable.`);
  let nextLink: string | undefined;
  if (view.continuationToken) {
    const next = new URL(request.url);
    next.searchParams.set("continuationToken", view.continuationToken);
    next.searchParams.delete("code");
    nextLink = next.toString();
  }
  return json(200, { ...view, nextLink });
}

app.http("RequestStatus", { methods: ["GET"], authLevel: "function", route: "requests/{requestId}", handler: requestStatus });
