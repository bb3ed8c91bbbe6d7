/**
 * A stand-in for one VM's Instance Metadata Service (169.254.169.254), on a loopback port, plain http as IMDS is:
 *
 *   GET  /metadata/scheduledevents?api-version=…        the Scheduled Events document (header Metadata: true)
 *   POST /metadata/scheduledevents?api-version=…        {"StartRequests":[{"EventId":"…"}]} approves events
 *   GET  /metadata/identity/oauth2/token?api-version=…&resource=<audience>   a managed-identity token
 *   GET  /metadata/instance/compute?api-version=…        the VM's name, resource ID, subscription, group, location
 *   GET  /<tenant>/discovery/v2.0/keys                   the signing keys (where Entra ID publishes its JWKS)
 *
 * Control API under /_imds (JSON, for tests and `npm start`): POST /_imds/events schedules an event, GET /_imds/events
 * shows the document and the approvals received, POST /_imds/reset clears everything. See docs/local-world.md.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ScheduledEventsModel, type ScheduledEventInput } from "./scheduledEvents";
import { TokenIssuer } from "./tokenIssuer";

export interface ImdsSimulatorOptions {
  /** The VM this IMDS belongs to (its full resource ID). */
  vmResourceId: string;
  /** Object ID of the VM's system-assigned identity. */
  principalId?: string;
  tenantId?: string;
  location?: string;
  port?: number;
  /** Injected clock (epoch ms); defaults to Date.now. */
  now?: () => number;
  /** Share another VM's tenant signing keys (VMs of one tenant get tokens from the same Entra ID). */
  sameTenantAs?: RunningImdsSimulator;
}

export interface RunningImdsSimulator {
  url: string;
  /** The JWKS URL an app validating this VM's tokens uses. */
  jwksUrl: string;
  issuer: string;
  events: ScheduledEventsModel;
  /** The tenant's token issuer (its signing keys). */
  tokenIssuer: TokenIssuer;
  close(): Promise<void>;
}

/** Only the versions that have DurationInSeconds, EventSource and Terminate are served. */
const SCHEDULED_EVENTS_VERSIONS = new Set(["2020-07-01"]);
const VM_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;

export async function startImdsSimulator(options: ImdsSimulatorOptions): Promise<RunningImdsSimulator> {
  const vm = VM_ID.exec(options.vmResourceId);
  if (!vm) throw new Error(`vmResourceId must be a VM resource ID, got ${options.vmResourceId}`);
  const now = options.now ?? Date.now;
  const tenantId = options.sameTenantAs?.tokenIssuer.tenantId ?? options.tenantId ?? "72f988bf-0000-4000-8000-00000000aaaa";
  const principalId = options.principalId ?? "0b1e5a11-0000-4000-8000-00000000beef";
  const events = new ScheduledEventsModel();
  const issuer = options.sameTenantAs?.tokenIssuer ?? new TokenIssuer(tenantId);
  const compute = {
    name: vm[3], resourceId: options.vmResourceId, subscriptionId: vm[1], resourceGroupName: vm[2],
    location: options.location ?? "westeurope", vmId: principalId,
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: "internal", message: String(error) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://169.254.169.254");
    const path = url.pathname.replace(/\/+$/, "");
    const body = await readBody(req);
    if (path.startsWith("/_imds")) return control(path, req.method ?? "GET", body, res);
    if (path === `/${tenantId}/discovery/v2.0/keys`) return send(res, 200, issuer.jwks());
    if (!path.startsWith("/metadata/")) return send(res, 404, { error: "Not found" });
    // IMDS refuses requests without the Metadata header, and any request carrying X-Forwarded-For (SSRF guard).
    if ((req.headers.metadata ?? "").toString().toLowerCase() !== "true" || req.headers["x-forwarded-for"]) {
      return send(res, 400, { error: "Bad request. Required metadata header not specified" });
    }
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion) return send(res, 400, { error: "Bad request. api-version was not specified in the request." });
    if (path === "/metadata/scheduledevents") {
      if (!SCHEDULED_EVENTS_VERSIONS.has(apiVersion)) return send(res, 400, { error: `Bad request. api-version ${apiVersion} is not supported by this simulator.` });
      if (req.method === "GET") return send(res, 200, events.document(now()));
      if (req.method === "POST") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return send(res, 400, { error: "Bad request. The request body is not valid JSON." });
        }
        return events.approve(parsed, now()) ? send(res, 200, undefined) : send(res, 400, { error: "Bad request. StartRequests is malformed." });
      }
      return send(res, 405, { error: "Method not allowed" });
    }
    if (path === "/metadata/identity/oauth2/token" && req.method === "GET") {
      const resource = url.searchParams.get("resource");
      if (!resource) return send(res, 400, { error: "invalid_request", error_description: "Required query variable 'resource' is missing" });
      const token = issuer.issue({ audience: resource, miResourceId: options.vmResourceId, principalId, nowMs: now() });
      return send(res, 200, {
        access_token: token.accessToken, client_id: principalId, expires_in: String(token.expiresOn - token.notBefore),
        expires_on: String(token.expiresOn), not_before: String(token.notBefore), resource, token_type: "Bearer",
      });
    }
    if (path === "/metadata/instance/compute" && req.method === "GET") return send(res, 200, compute);
    return send(res, 404, { error: "Not found" });
  }

  function control(path: string, method: string, body: string, res: ServerResponse): void {
    try {
      if (path === "/_imds/events" && method === "POST") {
        const input = JSON.parse(body) as ScheduledEventInput;
        input.resources ??= [compute.name];
        return send(res, 200, { eventId: events.schedule(input, now()) });
      }
      if (path === "/_imds/events" && method === "GET") {
        return send(res, 200, { document: events.document(now()), approvals: events.approvals.map((a) => ({ eventId: a.eventId, at: new Date(a.at).toISOString() })) });
      }
      if (path === "/_imds/reset" && method === "POST") {
        events.clear();
        return send(res, 204, undefined);
      }
    } catch (error) {
      return send(res, 400, { error: (error as Error).message });
    }
    send(res, 404, { error: `No control route ${method} ${path}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    jwksUrl: `${url}/${tenantId}/discovery/v2.0/keys`,
    issuer: issuer.issuer,
    tokenIssuer: issuer,
    events,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": String(Buffer.byteLength(payload)) });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
