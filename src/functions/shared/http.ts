/** HTTP answers shared by the HTTP functions: RFC 9457 problem details that name every bad field. */
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { FieldProblem } from "../../domain/scheduledRequest";

export function problem(status: number, title: string, detail: string, errors?: FieldProblem[], headers?: Record<string, string>): HttpResponseInit {
  return {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
    body: JSON.stringify({ type: "about:blank", title, status, detail, ...(errors ? { errors } : {}) }),
  };
}

export function json(status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

export function invalidFields(errors: FieldProblem[]): HttpResponseInit {
  const detail = errors.length === 1 ? `${errors[0]!.field}: ${errors[0]!.message}` : `${errors.length} fields are invalid; see "errors".`;
  return problem(400, "The request is invalid", detail, errors);
}

export type JsonBody = { ok: true; value: unknown; text: string } | { ok: false; response: HttpResponseInit };

/**
 * Reads a JSON request body for a function that takes one: 415 unless `content-type` is application/json
 * (so a browser's "simple" text/plain or form POST from another site is refused before anything happens),
 * 413 over `maxBytes`, 400 when it is not JSON. `text` is the raw body (for idempotency hashing).
 */
export async function readJsonBody(request: HttpRequest, maxBytes: number): Promise<JsonBody> {
  const contentType = request.headers.get("content-type") ?? "";
  if (!isJsonContentType(contentType)) {
    return refuse(problem(415, "Unsupported content type", `Send the body as JSON with the header "content-type: application/json"${contentType ? ` (got "${contentType.slice(0, 100)}")` : ""}.`, [
      { field: "content-type (header)", message: "must be application/json" },
    ]));
  }
  const tooLarge = () => refuse(problem(413, "The request body is too large", `The body must be at most ${maxBytes} bytes; split the scopes into several requests.`, [
    { field: "(body)", message: `larger than ${maxBytes} bytes` },
  ]));
  if (Number(request.headers.get("content-length") ?? "0") > maxBytes) return tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > maxBytes) return tooLarge();
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch (error) {
    return refuse(invalidFields([{ field: "(body)", message: `must be JSON (${(error as Error).message.slice(0, 200)}); send the v2 payload, e.g. {"Action":"start","RequestScopes":{...}}` }]));
  }
}

/** `application/json`, optionally with parameters (`; charset=utf-8`); case-insensitive as media types are. */
function isJsonContentType(value: string): boolean {
  return value.split(";")[0]!.trim().toLowerCase() === "application/json";
}

function refuse(response: HttpResponseInit): JsonBody {
  return { ok: false, response };
}

/** The schedules API's plain answers (src/schedules/scheduleApi.ts) as HTTP responses. */
export function apiResponse(answer: import("../../schedules/scheduleApi").ApiAnswer): HttpResponseInit {
  switch (answer.kind) {
    case "ok":
      return answer.body === undefined ? { status: answer.status } : json(answer.status, answer.body);
    case "invalid":
      return invalidFields(answer.problems);
    case "problem":
      return problem(answer.status, answer.title, answer.detail);
  }
}
