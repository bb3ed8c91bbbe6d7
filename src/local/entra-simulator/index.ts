/**
 * A stand-in for Entra ID's token issuer on a loopback port (plain http, like the IMDS simulator), so tests prove the
 * machine callers end to end: the app fetches its OpenID configuration and JWKS at the same path shapes as
 * login.microsoftonline.com, and the local world asks it for tokens "as" a principal (the Logic Apps' managed
 * identity, Azure Monitor's secure webhook, an attacker's own identity):
 *
 *   GET  /<tenant>/v2.0/.well-known/openid-configuration   issuer, jwks_uri (v2 shape)
 *   GET  /<tenant>/.well-known/openid-configuration        the same for v1 tokens (iss https://sts.windows.net/<tenant>/)
 *   GET  /<tenant>/discovery/v2.0/keys                     the signing keys
 *
 * Control API under /_entra: POST /_entra/token {audience, objectId, appId?, roles?, lifetimeSeconds?} answers
 * {access_token}; POST /_entra/keys {available:false} makes the JWKS answer 503 (an Entra outage);
 * GET /_entra/stats counts JWKS fetches. See docs/local-world.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { TokenIssuer } from "../imds-simulator/tokenIssuer";

/** Azure Monitor's first-party application that sends secure webhooks ("AzNS AAD Webhook"). */
export const ACTION_GROUPS_APP_ID = "461e8683-5575-4561-ac7f-899cc907d62a";
/** The app role the secure webhook's service principal must hold on the app registration. */
export const SECURE_WEBHOOK_ROLE = "ActionGroupsSecureWebhook";

export interface TokenRequest {
  audience: string;
  objectId: string;
  appId?: string;
  roles?: string[];
  lifetimeSeconds?: number;
}

export interface RunningEntraSimulator {
  url: string;
  tenantId: string;
  issuer: string;
  jwksUrl: string;
  tokenIssuer: TokenIssuer;
  /** A signed access token for that principal (also served by POST /_entra/token). */
  token(request: TokenRequest): string;
  /** How often the JWKS was fetched. */
  readonly jwksFetches: number;
  setKeysAvailable(available: boolean): void;
  close(): Promise<void>;
}

export async function startEntraSimulator(options: { tenantId?: string; now?: () => number; port?: number } = {}): Promise<RunningEntraSimulator> {
  const tenantId = options.tenantId ?? "72f988bf-0000-4000-8000-0000000000e1";
  const now = options.now ?? Date.now;
  const issuer = new TokenIssuer(tenantId);
  let jwksFetches = 0;
  let keysAvailable = true;
  const token = (r: TokenRequest) => issuer.issue({
    audience: r.audience, principalId: r.objectId, appId: r.appId, nowMs: now(), lifetimeSeconds: r.lifetimeSeconds,
    claims: r.roles ? { roles: r.roles } : undefined,
  }).accessToken;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: "internal", message: String(error) }));
  });
  let base = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname.replace(/\/+$/, "");
    const body = await readBody(req);
    if (path === `/${tenantId}/discovery/v2.0/keys`) {
      jwksFetches += 1;
      return keysAvailable ? send(res, 200, issuer.jwks()) : send(res, 503, { error: "temporarily_unavailable" });
    }
    if (path === `/${tenantId}/v2.0/.well-known/openid-configuration` || path === `/${tenantId}/.well-known/openid-configuration`) {
      const v2 = path.includes("/v2.0/");
      return send(res, 200, {
        issuer: v2 ? `https://login.microsoftonline.com/${tenantId}/v2.0` : issuer.issuer,
        jwks_uri: `${base}/${tenantId}/discovery/v2.0/keys`,
        token_endpoint: `${base}/${tenantId}/oauth2/${v2 ? "v2.0/" : ""}token`,
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "token id_token"],
        subject_types_supported: ["pairwise"],
        tenant_region_scope: "EU",
      });
    }
    if (path === "/_entra/token" && req.method === "POST") {
      const r = JSON.parse(body || "{}") as TokenRequest;
      if (typeof r.audience !== "string" || typeof r.objectId !== "string") return send(res, 400, { error: "audience and objectId are required" });
      return send(res, 200, { token_type: "Bearer", access_token: token(r) });
    }
    if (path === "/_entra/keys" && req.method === "POST") {
      keysAvailable = (JSON.parse(body || "{}") as { available?: boolean }).available !== false;
      return send(res, 200, { available: keysAvailable });
    }
    if (path === "/_entra/stats") return send(res, 200, { jwksFetches });
    return send(res, 404, { error: "not_found" });
  }

  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => ok());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    tenantId,
    issuer: issuer.issuer,
    jwksUrl: `${base}/${tenantId}/discovery/v2.0/keys`,
    tokenIssuer: issuer,
    token,
    get jwksFetches() {
      return jwksFetches;
    },
    setKeysAvailable(available: boolean) {
      keysAvailable = available;
    },
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}
