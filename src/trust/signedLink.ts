/**
 * Signed links: a URL-safe token that carries its own claims, an expiry and an id, sealed with HMAC-SHA256 under an
 * app secret. Whoever holds the link may do what it says until it expires; anything changed in it breaks the seal.
 * Single use is the caller's part (it records the id the first time, src/schedules/postpone.ts).
 *
 *   token = base64url(JSON claims) "." base64url(HMAC-SHA256(key, "v1." + base64url(JSON claims)))
 *
 * The comparison is constant-time. The key must be at least 32 bytes (RFC 2104 asks for at least the hash's length).
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const MIN_KEY_BYTES = 32;

export interface LinkClaims {
  /** What the link is for, so a token made for one purpose is refused by another. */
  purpose: string;
  /** Unique per link: the single-use record's key. */
  id: string;
  /** Expiry, epoch seconds. */
  exp: number;
  data: Record<string, unknown>;
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: "malformed" | "signature" | "expired" | "purpose" };

function mac(key: string, body: string): Buffer {
  return createHmac("sha256", key).update(`v1.${body}`).digest();
}

function assertKey(key: string): void {
  if (Buffer.byteLength(key, "utf8") < MIN_KEY_BYTES) throw new Error(`a link signing key needs at least ${MIN_KEY_BYTES} bytes`);
}

export function signLink(key: string, purpose: string, data: Record<string, unknown>, expiresAt: Date, id: string = randomUUID()): { token: string; claims: LinkClaims } {
  assertKey(key);
  const claims: LinkClaims = { purpose, id, exp: Math.floor(expiresAt.getTime() / 1000), data };
  const body = Buffer.from(JSON.stringify(claims), "utf8").toString("base64url");
  return { token: `${body}.${mac(key, body).toString("base64url")}`, claims };
}

export function verifyLink(key: string, purpose: string, token: string, now: Date): LinkCheck {
  assertKey(key);
  const m = /^([A-Za-z0-9_-]{1,8000})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: "malformed" };
  const expected = mac(key, m[1]!);
  const given = Buffer.from(m[2]!, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "signature" };
  let claims: LinkClaims;
  try {
    claims = JSON.parse(Buffer.from(m[1]!, "base64url").toString("utf8")) as LinkClaims;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (typeof claims !== "object" || claims === null || typeof claims.exp !== "number" || typeof claims.id !== "string") return { ok: false, reason: "malformed" };
  if (claims.purpose !== purpose) return { ok: false, reason: "purpose" };
  if (now.getTime() >= claims.exp * 1000) return { ok: false, reason: "expired" };
  return { ok: true, claims };
}
