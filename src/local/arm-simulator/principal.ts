/** Derives a stable, non-secret principal name from a bearer token (the token itself is never stored). */
import { createHash } from "node:crypto";

export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m?.[1];
}

export function principalOf(token: string): string {
  // A real Entra token names its principal (oid); static test tokens get a short hash.
  const parts = token.split(".");
  if (parts.length === 3) {
    try {
      const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as Record<string, unknown>;
      const oid = claims.oid ?? claims.appid ?? claims.sub;
      if (typeof oid === "string" && oid) return oid;
    } catch {
      // not a JWT: fall through to the hash
    }
  }
  return `token-${createHash("sha256").update(token).digest("hex").slice(0, 12)}`;
}
