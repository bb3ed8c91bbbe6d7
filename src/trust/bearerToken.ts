/**
 * Proving a machine caller by its Entra ID access token (docs/security.md): an RS256 JWT from a pinned issuer, for a
 * pinned audience, unexpired, signed by a key of the issuer's published JWKS, checked with the `jose` library. Only a
 * token that parses, names RS256 and claims the expected issuer and audience makes the app look up signing keys, so
 * garbage never costs a JWKS fetch; a JWKS that cannot be fetched answers 503 (try again), never a bare 500.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";

export interface TokenRules {
  /** Accepted `iss` values (a tenant's v1 and v2 issuers sign with the same keys). */
  issuers: readonly string[];
  audience: string;
  now: () => Date;
  /** Tolerated clock skew, seconds. */
  skewSeconds?: number;
  /** Where the caller sets the audience it asks for (named in the refusal), e.g. the agent's REPORT_AUDIENCE. */
  audienceSetting?: string;
}

/** The signing keys, looked up by the token's header (jose's remote JWKS, or a local set in tests). */
export type SigningKeyLookup = JWTVerifyGetKey;

export type TokenProof =
  | { ok: true; claims: JWTPayload & Record<string, unknown> }
  | { ok: false; status: 401 | 503; reason: string };

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\s*$/;

/** Thrown by the key lookup wrapper when the JWKS could not be read (network, timeout, not 200, not a JWKS). */
class KeysUnavailable extends Error {}

export async function proveBearerToken(authorization: string | null | undefined, rules: TokenRules, keys: SigningKeyLookup): Promise<TokenProof> {
  const deny = (reason: string): TokenProof => ({ ok: false, status: 401, reason });
  const token = BEARER.exec(authorization ?? "")?.[1];
  if (!token) return deny('send an Entra ID access token as "Authorization: Bearer <jwt>"');
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token);
  } catch {
    return deny("the token is not a well-formed JWT");
  }
  // Only RS256, as Entra ID signs: "none" or HMAC would let anyone who can read the public key mint tokens.
  if (header.alg !== "RS256") return deny(`the token's algorithm must be RS256, got ${String(header.alg).slice(0, 20)}`);
  if (typeof unverified.iss !== "string" || !rules.issuers.includes(unverified.iss)) return deny(`the token was not issued by ${rules.issuers.join(" or ")}`);
  const audiences = Array.isArray(unverified.aud) ? unverified.aud : [unverified.aud];
  if (!audiences.includes(rules.audience)) return deny(`the token is not for this app; request it for ${rules.audience}${rules.audienceSetting ? ` (${rules.audienceSetting})` : ""}`);

  const lookup: SigningKeyLookup = async (protectedHeader, input) => {
    try {
      return await keys(protectedHeader, input);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeysUnavailable(error instanceof Error ? error.message : String(error));
    }
  };
  try {
    const { payload } = await jwtVerify(token, lookup, {
      issuer: [...rules.issuers], audience: rules.audience, algorithms: ["RS256"],
      currentDate: rules.now(), clockTolerance: rules.skewSeconds ?? 300, requiredClaims: ["exp"],
    });
    return { ok: true, claims: payload as JWTPayload & Record<string, unknown> };
  } catch (error) {
    if (error instanceof KeysUnavailable) return { ok: false, status: 503, reason: `the issuer's signing keys could not be read (${error.message.slice(0, 200)}); try again shortly` };
    if (error instanceof errors.JWKSNoMatchingKey) return deny("the token is not signed by a key of the expected issuer");
    if (error instanceof errors.JWTExpired) return deny("the token has expired");
    if (error instanceof errors.JWSSignatureVerificationFailed) return deny("the token's signature is invalid");
    if (error instanceof errors.JWTClaimValidationFailed) return deny(`the token's "${error.claim}" claim is not acceptable (${error.reason})`);
    if (error instanceof errors.JOSEError) return deny(`the token could not be verified (${error.code})`);
    throw error;
  }
}
