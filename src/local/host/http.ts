import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { CoreRegistry } from "./coreApi";
import { invoke } from "./invoke";
import { errorText, hostLog } from "./log";
import { compileRoute, matchRoute, type CompiledRoute } from "./routes";
import { typedDataToBytes } from "./typedData";
import type { RegisteredFunction, RpcHttpCookie, RpcHttpData } from "./types";

/** Methods that may always carry the function key in `?code=` (they change nothing). */
const READ_METHODS = new Set(["GET", "HEAD"]);

/**
 * A POST may carry `?code=` when its body is JSON: a web page cannot send `application/json` cross-site without a CORS
 * preflight, which this host never grants. Azure Monitor's action-group webhooks can only hold the key in the URL.
 */
function mayUseQueryKey(method: string, contentType: string | undefined): boolean {
  return READ_METHODS.has(method) || /^application\/json\s*(;|$)/i.test(contentType ?? "");
}

/** Largest request body accepted (the Functions host limit: 100 MB). */
export const MAX_BODY_BYTES = 100 * 1024 * 1024;

export interface HttpRoute {
  fn: RegisteredFunction;
  route: CompiledRoute;
  methods: string[] | undefined;
  authLevel: "anonymous" | "function" | "admin";
}

export function httpRoutes(functions: RegisteredFunction[]): HttpRoute[] {
  return functions
    .filter((fn) => String(fn.trigger.type).toLowerCase() === "httptrigger")
    .map((fn) => {
      const route = typeof fn.trigger.route === "string" && fn.trigger.route.trim() !== "" ? fn.trigger.route : fn.name;
      const methods = Array.isArray(fn.trigger.methods) && fn.trigger.methods.length > 0
        ? (fn.trigger.methods as unknown[]).map((m) => String(m).toUpperCase())
        : undefined;
      const level = String(fn.trigger.authLevel ?? "function").toLowerCase();
      if (level !== "anonymous" && level !== "function" && level !== "admin") {
        throw new Error(`Function "${fn.name}" has unknown authLevel "${level}"`);
      }
      return { fn, route: compileRoute(route), methods, authLevel: level };
    });
}

export interface HttpServerOptions {
  registry: CoreRegistry;
  routes: HttpRoute[];
  prefix: string;
  functionKey: string | undefined;
}

function keyMatches(given: string | null | undefined, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, body?: string): void {
  if (res.headersSent) return;
  res.statusCode = status;
  if (body !== undefined) res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(body);
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function formatCookie(cookie: RpcHttpCookie): string {
  let text = `${cookie.name ?? ""}=${cookie.value ?? ""}`;
  if (cookie.domain?.value) text += `; Domain=${cookie.domain.value}`;
  if (cookie.path?.value) text += `; Path=${cookie.path.value}`;
  const seconds = cookie.expires?.value?.seconds;
  if (seconds !== undefined && seconds !== null) text += `; Expires=${new Date(Number(seconds) * 1000).toUTCString()}`;
  if (cookie.maxAge?.value !== undefined && cookie.maxAge.value !== null) text += `; Max-Age=${cookie.maxAge.value}`;
  if (cookie.secure?.value) text += "; Secure";
  if (cookie.httpOnly?.value) text += "; HttpOnly";
  if (cookie.sameSite && cookie.sameSite !== "none") {
    text += `; SameSite=${cookie.sameSite === "explicitNone" ? "None" : cookie.sameSite[0]!.toUpperCase() + cookie.sameSite.slice(1)}`;
  }
  return text;
}

/** Serves `/<prefix>/<route>` for every HTTP-triggered function. */
export function createHttpServer(options: HttpServerOptions): Server {
  const { registry, routes, prefix, functionKey } = options;
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      hostLog(`HTTP request failed: ${errorText(error)}`, "error");
      send(res, 500);
    });
  });
  // Long-running functions must not be cut off by Node's default request timeout.
  server.requestTimeout = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? "127.0.0.1";
    const url = new URL(req.url ?? "/", `http://${host}`);
    const method = (req.method ?? "GET").toUpperCase();
    let path = url.pathname;
    if (prefix !== "") {
      const lower = path.toLowerCase();
      const p = `/${prefix.toLowerCase()}`;
      if (lower !== p && !lower.startsWith(`${p}/`)) return send(res, 404);
      path = path.slice(p.length);
    }
    let methodMismatch = false;
    let found: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const params = matchRoute(route.route, path);
      if (!params) continue;
      if (route.methods && !route.methods.includes(method)) {
        methodMismatch = true;
        continue;
      }
      found = { route, params };
      break;
    }
    if (!found) {
      req.resume();
      return send(res, methodMismatch ? 405 : 404);
    }
    const { route, params } = found;
    if (route.authLevel !== "anonymous") {
      const headerKey = req.headers["x-functions-key"];
      const queryKey = url.searchParams.get("code");
      // `?code=` only for reads and JSON bodies: a key in the URL would let any web page send a "simple" cross-site
      // POST (a form or text/plain fetch needs no preflight).
      const queryAllowed = mayUseQueryKey(method, req.headers["content-type"]);
      const given = (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? (queryAllowed ? queryKey : undefined);
      if (!keyMatches(given, functionKey)) {
        req.resume();
        return queryKey !== null && !queryAllowed
          ? send(res, 401, `The function key in ?code= is accepted only for GET and for JSON bodies (content-type: application/json); send this ${method} with the x-functions-key header.`)
          : send(res, 401);
      }
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLarge) return send(res, 413);
      throw error;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) if (!(name in query)) query[name] = value;
    const http: RpcHttpData = {
      method,
      url: url.toString(),
      headers,
      query,
      params,
      body: body.length > 0 ? { bytes: new Uint8Array(body.buffer, body.byteOffset, body.length) } : undefined,
      identities: [],
    };
    let response;
    try {
      response = await invoke(registry, route.fn, {
        inputData: [{ name: route.fn.triggerName, data: { http } }],
        triggerMetadata: {},
        reason: `This function was programmatically called via the host APIs.`,
      });
    } catch {
      return send(res, 500);
    }
    const output = response.returnValue?.http
      ?? response.outputData?.find((o) => String(route.fn.metadata.bindings[o.name ?? ""]?.type).toLowerCase() === "http")?.data?.http;
    if (!output) return send(res, 204);
    const status = Number(output.statusCode ?? 200);
    res.statusCode = Number.isInteger(status) && status >= 100 && status <= 999 ? status : 200;
    for (const [name, value] of Object.entries(output.headers ?? {})) res.setHeader(name, value);
    const cookies = (output.cookies ?? []).map(formatCookie);
    if (cookies.length > 0) res.setHeader("set-cookie", cookies);
    const bytes = typedDataToBytes(output.body);
    res.end(method === "HEAD" ? undefined : bytes);
  }

  return server;
}
