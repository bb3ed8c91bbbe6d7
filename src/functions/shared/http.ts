/** HTTP answers shared by the HTTP functions: RFC 9457 problem details that name every bad field. */
import type { HttpResponseInit } from "@azure/functions";
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
