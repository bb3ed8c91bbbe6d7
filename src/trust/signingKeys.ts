/**
 * The issuer's signing keys, fetched from its JWKS URL by `jose` on the first token that needs them, cached, and
 * re-fetched (at most every 30 s) when a token names a key not seen yet, as Entra ID rolls keys.
 */
import { createRemoteJWKSet } from "jose";
import type { SigningKeyLookup } from "./bearerToken";

export function remoteSigningKeys(jwksUrl: string): SigningKeyLookup {
  return createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 6 * 60 * 60_000 });
}
