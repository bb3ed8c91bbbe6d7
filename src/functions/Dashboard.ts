/**
 * The dashboard (src/dashboard/): GET /api/dashboard (the page), /api/dashboard/app.js and app.css (its bundled
 * assets), /api/dashboard/data (what it shows), /api/dashboard/requests/{id} (a run's status, for the page's links),
 * POST /api/dashboard/login (local key → session cookie). Anonymous at the Functions level: the dashboard's own auth
 * (App Service authentication in Azure, the local key locally) decides, so the page never holds a function key.
 */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { APP_CSS, APP_JS, CONTENT_SECURITY_POLICY, LOGIN_HTML, PAGE_HTML } from "../dashboard/assets";
import { keyMatches, SESSION_COOKIE, sessionToken, signedIn } from "../dashboard/auth";
import { dashboardData } from "../dashboard/dashboardData";
import { isGuid } from "../domain/resourceId";
import { readStatus, STATUS_FILTERS, type StatusFilter } from "../engine/status";
import { invalidFields, json, problem } from "./shared/http";
import { dashboard, dashboardAuth, engine } from "./shared/runtime";

const SECURITY_HEADERS = { "content-security-policy": CONTENT_SECURITY_POLICY, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store" };

function asset(contentType: string, body: string, status = 200): HttpResponseInit {
  return { status, headers: { "content-type": contentType, ...SECURITY_HEADERS }, body };
}

export async function dashboardHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const auth = dashboardAuth();
  if (auth.mode === "off") return problem(404, "The dashboard is not enabled", "Enable App Service authentication with the Bicep parameter dashboardAuthClientId (Azure), or run the local host with LOCAL_FUNCTION_KEY.");
  const path = (request.params.path ?? "").replace(/\/+$/, "");
  const method = request.method.toUpperCase();

  if (path === "login" && method === "POST" && auth.mode === "key") {
    const form = new URLSearchParams(await request.text());
    if (!keyMatches(auth, form.get("key") ?? "")) return asset("text/html; charset=utf-8", LOGIN_HTML("That is not the local function key."), 401);
    return {
      status: 303,
      headers: { location: "/api/dashboard", ...SECURITY_HEADERS },
      cookies: [{ name: SESSION_COOKIE, value: sessionToken(auth.key), path: "/api/dashboard", httpOnly: true, sameSite: "Strict", maxAge: 12 * 3600 }],
    };
  }
  if (method !== "GET") return problem(405, "Method not allowed", "The dashboard answers GET (and POST login locally).", undefined, { allow: "GET" });
  // The style sheet is not secret: the login form uses it too.
  if (path === "app.css") return asset("text/css; charset=utf-8", APP_CSS);
  const who = signedIn(auth, request.headers);
  if (!who.ok) {
    // The sign-in form itself is a page like any other (200); only the data behind it is refused.
    if (path === "" && auth.mode === "key") return asset("text/html; charset=utf-8", LOGIN_HTML(""));
    // App Service authentication signs the user in with Entra ID and comes back to the page.
    if (path === "" && auth.mode === "appService") return { status: 302, headers: { location: "/.auth/login/aad?post_login_redirect_uri=/api/dashboard", ...SECURITY_HEADERS } };
    return problem(401, "Sign in first", auth.mode === "appService" ? "App Service authentication did not sign this request in." : "Send the local key as x-functions-key, or sign in at /api/dashboard.");
  }
  switch (path) {
    case "":
      return asset("text/html; charset=utf-8", PAGE_HTML);
    case "app.js":
      return asset("text/javascript; charset=utf-8", APP_JS);
    case "data":
      return json(200, await dashboardData(dashboard()), SECURITY_HEADERS);
  }
  const m = /^requests\/([^/]+)$/.exec(path);
  if (m) {
    let requestId = "";
    try {
      requestId = decodeURIComponent(m[1]!);
    } catch {
      // A malformed %-escape is bad input, not a failure: it is refused below as not a GUID.
    }
    const outcome = request.query.get("outcome") ?? undefined;
    const errors = [];
    if (!isGuid(requestId)) errors.push({ field: "requestId (path)", message: "must be a request id (a GUID)" });
    if (outcome !== undefined && !(STATUS_FILTERS as readonly string[]).includes(outcome)) errors.push({ field: "outcome (query)", message: `must be one of ${STATUS_FILTERS.join(", ")}` });
    if (errors.length) return invalidFields(errors);
    const view = await readStatus(engine(), requestId.toLowerCase(), { outcome: outcome as StatusFilter | undefined, top: 1000 });
    return view ? json(200, view, SECURITY_HEADERS) : problem(404, "No such request", `No request ${requestId} exists.`);
  }
  return problem(404, "Not found", `The dashboard has no ${path}.`);
}

app.http("Dashboard", { methods: ["GET", "POST"], authLevel: "anonymous", route: "dashboard/{*path}", handler: dashboardHandler });
