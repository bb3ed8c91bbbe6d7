/**
 * The trust module against the attacks it exists to stop, with real RS256 tokens from the local Entra issuer and
 * jose's own key sets (a local one, and the remote one the app uses, against the issuer's JWKS endpoint).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, type JWTVerifyGetKey } from "jose";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { proveBearerToken } from "../../src/trust/bearerToken";
import { proveCaller, type CallerSettings } from "../../src/trust/callers";
import { remoteSigningKeys } from "../../src/trust/signingKeys";
import { TokenIssuer } from "../../src/local/imds-simulator/tokenIssuer";
import { startEntraSimulator, type RunningEntraSimulator } from "../../src/local/entra-simulator";

const TENANT = "72f988bf-0000-4000-8000-0000000000e1";
const AUDIENCE = "api://startstop-test";
const LOGIC_APPS = "10c1c000-0000-4000-8000-0000000010a1";
const MONITOR = "a0a0a0a0-0000-4000-8000-00000000ac70";
const SOMEONE = "0dd0dd00-0000-4000-8000-000000000bad";
const NOW = Date.parse("2026-06-01T10:00:00Z");
const now = () => new Date(NOW);

const issuer = new TokenIssuer(TENANT);
const settings: CallerSettings = { issuers: [issuer.issuer], audience: AUDIENCE, allowed: { operator: [LOGIC_APPS], alerts: [MONITOR] } };
const bearer = (t: string) => `Bearer ${t}`;
const tokenOf = (objectId: string, over: { audience?: string; nowMs?: number; lifetimeSeconds?: number; issuer?: TokenIssuer } = {}) =>
  (over.issuer ?? issuer).issue({ audience: over.audience ?? AUDIENCE, principalId: objectId, nowMs: over.nowMs ?? NOW, lifetimeSeconds: over.lifetimeSeconds }).accessToken;

/** jose's local key set over the issuer's JWKS, counting lookups (each one would be a fetch with the remote set). */
function countingKeys(jwks = issuer.jwks()) {
  const local = createLocalJWKSet(jwks as never);
  const counter = { lookups: 0 };
  const keys: JWTVerifyGetKey = (header, token) => {
    counter.lookups += 1;
    return local(header, token);
  };
  return { keys, counter };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("machine callers proven by Entra ID tokens", () => {
  it("the Logic Apps' identity is let in as operator, Azure Monitor's webhook as alerts", async () => {
    const { keys } = countingKeys();
    expect(await proveCaller(bearer(tokenOf(LOGIC_APPS)), "operator", settings, keys, now)).toEqual({ ok: true, objectId: LOGIC_APPS });
    expect(await proveCaller(bearer(tokenOf(MONITOR)), "alerts", settings, keys, now)).toEqual({ ok: true, objectId: MONITOR });
  });

  it("any other identity of the tenant, with a genuine token for the app, is refused (403)", async () => {
    const { keys } = countingKeys();
    const check = await proveCaller(bearer(tokenOf(SOMEONE)), "operator", settings, keys, now);
    expect(check).toMatchObject({ ok: false, status: 403 });
  });

  it("the alert sender cannot act as operator: Azure Monitor's token does not open Scheduled", async () => {
    const { keys } = countingKeys();
    expect(await proveCaller(bearer(tokenOf(MONITOR)), "operator", settings, keys, now)).toMatchObject({ ok: false, status: 403 });
    expect(await proveCaller(bearer(tokenOf(LOGIC_APPS)), "alerts", settings, keys, now)).toMatchObject({ ok: false, status: 403 });
  });

  it("a token minted with another key under the tenant's issuer name is refused (forged signature)", async () => {
    const { keys } = countingKeys();
    const impostor = new TokenIssuer(TENANT); // same iss, its own key pair
    expect(await proveCaller(bearer(tokenOf(LOGIC_APPS, { issuer: impostor })), "operator", settings, keys, now)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/not signed by a key/) });
    // The right kid, a signature by another key.
    const genuine = tokenOf(LOGIC_APPS).split(".");
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const resigned = `${genuine[0]}.${genuine[1]}.${sign("sha256", Buffer.from(`${genuine[0]}.${genuine[1]}`), privateKey).toString("base64url")}`;
    expect(await proveCaller(bearer(resigned), "operator", settings, keys, now)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/signature/) });
  });

  it("alg none and HS256 keyed with the public key are refused before any key is looked up (algorithm confusion)", async () => {
    const { keys, counter } = countingKeys();
    const claims = JSON.parse(Buffer.from(tokenOf(LOGIC_APPS).split(".")[1]!, "base64url").toString());
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.x`;
    const hsHeader = b64({ alg: "HS256", typ: "JWT", kid: issuer.kid });
    const hs = `${hsHeader}.${b64(claims)}.${createHmac("sha256", JSON.stringify(issuer.jwks().keys[0])).update(`${hsHeader}.${b64(claims)}`).digest("base64url")}`;
    for (const token of [none, hs]) expect(await proveCaller(bearer(token), "operator", settings, keys, now)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/RS256/) });
    expect(counter.lookups).toBe(0);
  });

  it("a token for another application is refused (token replay across audiences)", async () => {
    const { keys, counter } = countingKeys();
    const check = await proveCaller(bearer(tokenOf(LOGIC_APPS, { audience: "https://management.azure.com/" })), "operator", settings, keys, now);
    expect(check).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/not for this app/) });
    expect(counter.lookups).toBe(0);
  });

  it("a token from another tenant's issuer is refused without a key lookup", async () => {
    const { keys, counter } = countingKeys();
    const other = new TokenIssuer("99999999-0000-4000-8000-000000000000");
    expect(await proveCaller(bearer(tokenOf(LOGIC_APPS, { issuer: other })), "operator", settings, keys, now)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/not issued by/) });
    expect(counter.lookups).toBe(0);
  });

  it("an expired token is refused (replay of a token captured earlier)", async () => {
    const { keys } = countingKeys();
    const old = tokenOf(LOGIC_APPS, { nowMs: NOW - 3 * 3600_000, lifetimeSeconds: 3600 });
    expect(await proveCaller(bearer(old), "operator", settings, keys, now)).toMatchObject({ ok: false, status: 401, reason: expect.stringMatching(/expired/) });
  });

  it("garbage in Authorization is refused (401) and never makes the app fetch the issuer's keys", async () => {
    const { keys, counter } = countingKeys();
    for (const header of [undefined, "", "Basic abc", "Bearer", "Bearer a.b", "Bearer a.b.c", `Bearer ${"x".repeat(5000)}`, "Bearer !!!.???.###", `Bearer ${b64([1])}.${b64("s")}.x`]) {
      const proof = await proveBearerToken(header, { issuers: settings.issuers, audience: AUDIENCE, now }, keys);
      expect(proof).toMatchObject({ ok: false, status: 401 });
    }
    expect(counter.lookups).toBe(0);
  });

  it("no token callers configured: every token route refuses (404), none is open", async () => {
    expect(await proveCaller(bearer(tokenOf(LOGIC_APPS)), "operator", undefined, undefined, now)).toMatchObject({ ok: false, status: 404 });
  });
});

describe("the issuer's JWKS over HTTP (jose's remote key set, as the app uses it)", () => {
  let entra: RunningEntraSimulator;
  beforeAll(async () => {
    entra = await startEntraSimulator({ tenantId: TENANT, now: () => NOW });
  });
  afterAll(async () => entra?.close());

  it("an Entra outage answers 503 (try again), not a bare 500; the keys are fetched only for a token that parses", async () => {
    const remote = { ...settings, issuers: [entra.issuer] };
    const token = entra.token({ audience: AUDIENCE, objectId: LOGIC_APPS });
    entra.setKeysAvailable(false);
    const down = remoteSigningKeys(entra.jwksUrl);
    expect(await proveCaller("Bearer nonsense.nonsense.nonsense", "operator", remote, down, now)).toMatchObject({ ok: false, status: 401 });
    expect(entra.jwksFetches).toBe(0);
    expect(await proveCaller(bearer(token), "operator", remote, down, now)).toMatchObject({ ok: false, status: 503 });
    expect(entra.jwksFetches).toBe(1);
    entra.setKeysAvailable(true);
    const up = remoteSigningKeys(entra.jwksUrl);
    expect(await proveCaller(bearer(token), "operator", remote, up, now)).toEqual({ ok: true, objectId: LOGIC_APPS });
  });
});
