/**
 * The door of a token route: the handler runs only for a caller proven by src/trust/ in the given role; anyone else
 * gets 401 (no or bad token), 403 (a good token of a principal not allowed), 404 (token callers not set up) or 503
 * (the issuer's keys cannot be read now), as problem+json, and nothing happens.
 */
import type { HttpHandler, HttpRequest, InvocationContext } from "@azure/functions";
import { proveCaller, type CallerRole } from "../../trust/callers";
import { problem } from "./http";
import { callers } from "./runtime";

const TITLES = { 401: "Not authenticated", 403: "Forbidden", 404: "Token callers are not set up", 503: "Cannot check the token now" } as const;

export function withCaller(role: CallerRole, handler: HttpHandler): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    const trust = callers();
    const check = await proveCaller(request.headers.get("authorization"), role, trust?.settings, trust?.keys, trust?.now ?? (() => new Date()));
    if (!check.ok) {
      context.warn(`${context.functionName}: caller refused (${check.status}): ${check.reason}`);
      const headers: Record<string, string> | undefined = check.status === 401 ? { "www-authenticate": "Bearer" } : check.status === 503 ? { "retry-after": "30" } : undefined;
      return problem(check.status, TITLES[check.status], check.reason, undefined, headers);
    }
    return handler(request, context);
  };
}
