/** HTTPS front door: routes /_sim to the control API and everything else to the ARM pipeline. */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ArmSimulator } from "./simulator";
import type { Certificate } from "./certificate";
import { handleArmRequest, type ArmRouteOptions } from "./arm-routes";
import { handleControlRequest, isControlPath } from "./control-routes";
import { readBody, writeResponse } from "./http-util";
import { armErrorBody } from "./errors";

export function createSimulatorServer(sim: ArmSimulator, cert: Certificate, options: ArmRouteOptions): Server {
  const server = createServer({ key: cert.keyPem, cert: cert.certPem, keepAlive: true }, (req, res) => {
    handle(sim, req, res, options).catch((err: unknown) => {
      if (!res.headersSent) writeResponse(res, { status: 500, body: armErrorBody("InternalServerError", String(err)) });
      else res.destroy();
    });
  });
  return server;
}

async function handle(sim: ArmSimulator, req: IncomingMessage, res: ServerResponse, options: ArmRouteOptions): Promise<void> {
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? "" : raw.slice(q + 1);
  const method = (req.method ?? "GET").toUpperCase();
  const body = await readBody(req);
  if (isControlPath(path)) {
    writeResponse(res, handleControlRequest(sim, { method, path, query, body }));
    return;
  }
  const authorization = req.headers.authorization;
  const host = req.headers.host ?? `127.0.0.1:${(req.socket.localPort ?? 443).toString()}`;
  writeResponse(res, handleArmRequest(sim, { method, path, query, host, authorization, body }, options));
}
