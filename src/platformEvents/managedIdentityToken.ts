/**
 * Checking the managed-identity token a VM's scheduled-events agent sends with its report (docs/platform-events.md):
 * an RS256 JWT from the configured issuer, for the configured audience, unexpired, signed by one of the issuer's
 * published keys, whose `xms_mirid` names the VM the report is about (a system-assigned identity's `xms_mirid` is its
 * VM's resource ID, so a VM can only speak for itself). Pure: the keys and the clock come in as parameters.
 */
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { parseVmId, vmKey } from "../domain/resourceId";

export interface TokenExpectations {
  issuer: string;
  audience: string;
  /** Signing keys (JWKS `keys`), by `kid`. */
  keys: ReadonlyMap<string, JsonWebKey>;
  now: Date;
  /** Tolerated clock skew, seconds. */
  skewSeconds?: number;
}

export type TokenCheck =
  | { ok: true; vmKey: string; principalId?: string }
  | { ok: false; status: 401 | 403; reason: string; unknownKeyId?: string };

export function checkVmToken(authorization: string | null | undefined, expected: TokenExpectations): TokenCheck {
  const deny = (reason: string): TokenCheck => ({ ok: false, status: 401, reason });
  const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\s*$/.exec(authorization ?? "");
  if (!match) return deny("send the VM's managed-identity token as \"Authorization: Bearer <jwt>\"");
  const [, headerPart, payloadPart, signaturePart] = match as unknown as [string, string, string, string];
  const header = decodeJson(headerPart);
  const claims = decodeJson(payloadPart);
  if (!header || !claims) return deny("the token is not a well-formed JWT");
  // Only RS256: "none" and HMAC algorithms would let anyone who knows the key ID mint tokens.
  if (header.alg !== "RS256") return deny(`the token's algorithm must be RS256, got ${String(header.alg)}`);
  const key = typeof header.kid === "string" ? expected.keys.get(header.kid) : undefined;
  if (!key) return { ok: false, status: 401, reason: "the token is not signed by a key of the expected issuer", unknownKeyId: typeof header.kid === "string" ? header.kid : undefined };
  let valid = false;
  try {
    valid = verify("sha256", Buffer.from(`${headerPart}.${payloadPart}`), createPublicKey({ key, format: "jwk" }), Buffer.from(signaturePart, "base64url"));
  } catch {
    valid = false;
  }
  if (!valid) return deny("the token's signature is invalid");
  if (claims.iss !== expected.issuer) return deny(`the token was issued by ${String(claims.iss)}, not by ${expected.issuer}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expected.audience)) return deny(`the token is for ${String(claims.aud)}; request it for ${expected.audience} (REPORT_AUDIENCE)`);
  const now = expected.now.getTime() / 1000;
  const skew = expected.skewSeconds ?? 300;
  if (typeof claims.exp !== "number" || claims.exp + skew < now) return deny("the token has expired");
  if (typeof claims.nbf === "number" && claims.nbf - skew > now) return deny("the token is not valid yet");
  const identity = typeof claims.xms_mirid === "string" ? parseVmId(claims.xms_mirid) : undefined;
  if (!identity) {
    return { ok: false, status: 403, reason: "the token is not a VM's system-assigned managed identity (xms_mirid must be the VM's resource ID)" };
  }
  return { ok: true, vmKey: vmKey(identity), principalId: typeof claims.oid === "string" ? claims.oid : undefined };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
