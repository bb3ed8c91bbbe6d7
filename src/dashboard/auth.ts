/**
 * Who may see the dashboard. Pure.
 * - `appService`: in Azure, behind App Service authentication (Entra ID), which signs the user in before the request
 *   reaches the app and adds `x-ms-client-principal-*` headers (it drops such headers sent by clients). The page needs
 *   no key at all.
 * - `key`: locally, the local function key, sent as `x-functions-key` or given once to the login form, which sets a
 *   cookie holding an HMAC of the key (never the key itself).
 * - `off`: neither set up: the dashboard answers 404.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type DashboardAuth = { mode: "appService" } | { mode: "key"; key: string } | { mode: "off" };

export const SESSION_COOKIE = "ssv_dashboard";

export function sessionToken(key: string): string {
  return createHmac("sha256", key).update("startstop dashboard session v1").digest("base64url");
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieValue(cookieHeader: string | null, name: string): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return v.join("=");
  }
  return undefined;
}

/** Whether this request is signed in: `who` names the user (App Service) or the way (key, session). */
export function signedIn(auth: DashboardAuth, headers: { get(name: string): string | null }): { ok: true; who: string } | { ok: false } {
  if (auth.mode === "appService") {
    const id = headers.get("x-ms-client-principal-id");
    const name = headers.get("x-ms-client-principal-name");
    return id ? { ok: true, who: name ?? id } : { ok: false };
  }
  if (auth.mode === "key") {
    const given = headers.get("x-functions-key");
    if (given && same(given, auth.key)) return { ok: true, who: "local key" };
    const session = cookieValue(headers.get("cookie"), SESSION_COOKIE);
    if (session && same(session, sessionToken(auth.key))) return { ok: true, who: "local session" };
  }
  return { ok: false };
}

export function keyMatches(auth: DashboardAuth, given: string): boolean {
  return auth.mode === "key" && same(given, auth.key);
}
