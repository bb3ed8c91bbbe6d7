/**
 * Who may call which route (docs/security.md "Callers"). Machine callers prove themselves with an Entra ID token and
 * are then allowed by object ID (`oid`), per role:
 *   - "operator": the Logic Apps' managed identity (and any other principal listed) may submit and read requests;
 *   - "alerts": Azure Monitor's secure webhook (the action group) may call AutoStopVM, nothing else.
 * People with curl use the function-scoped keys of the key routes instead; no key is accepted here.
 */
import { proveBearerToken, type SigningKeyLookup, type TokenRules } from "./bearerToken";

export type CallerRole = "operator" | "alerts";

export interface CallerSettings {
  issuers: string[];
  audience: string;
  /** Object IDs allowed per role (lower-case GUIDs). */
  allowed: Record<CallerRole, string[]>;
}

export type CallerCheck =
  | { ok: true; objectId: string }
  | { ok: false; status: 401 | 403 | 404 | 503; reason: string };

export async function proveCaller(
  authorization: string | null | undefined,
  role: CallerRole,
  settings: CallerSettings | undefined,
  keys: SigningKeyLookup | undefined,
  now: () => Date,
): Promise<CallerCheck> {
  if (!settings || !keys) return { ok: false, status: 404, reason: "Entra ID callers are not set up: set CALLER_TOKEN_AUDIENCE and AZURE_TENANT_ID (docs/security.md)" };
  const rules: TokenRules = { issuers: settings.issuers, audience: settings.audience, now };
  const proof = await proveBearerToken(authorization, rules, keys);
  if (!proof.ok) return proof;
  const oid = typeof proof.claims.oid === "string" ? proof.claims.oid.toLowerCase() : "";
  if (!oid) return { ok: false, status: 403, reason: "the token names no object ID (oid): only managed identities and service principals may call" };
  if (!settings.allowed[role].includes(oid)) {
    return { ok: false, status: 403, reason: `the principal ${oid} is not allowed as ${role === "alerts" ? "AutoStop's action group" : "an operator"} (${role === "alerts" ? "AUTOSTOP_CALLER_OBJECT_IDS" : "OPERATOR_CALLER_OBJECT_IDS"})` };
  }
  return { ok: true, objectId: oid };
}
