/** Small helpers shared by the HTTP layers. */
import type { IncomingMessage, ServerResponse } from "node:http";

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export function writeResponse(res: ServerResponse, r: SimResponse): void {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  let payload: string | undefined;
  if (r.body !== undefined) {
    payload = JSON.stringify(r.body);
    headers["content-type"] = "application/json; charset=utf-8";
  }
  headers["content-length"] = String(payload ? Buffer.byteLength(payload) : 0);
  headers["x-ms-request-id"] ??= randomId();
  res.writeHead(r.status, headers);
  res.end(payload);
}

/** Reads a request body (control API bodies are small JSON; ARM POST bodies are ignored but drained). */
export async function readBody(req: IncomingMessage, limitBytes = 50 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limitBytes) throw new Error("request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

let counter = 0;
function randomId(): string {
  counter = (counter + 1) % 0xffffffff;
  return `${Date.now().toString(16)}-${counter.toString(16).padStart(8, "0")}`;
}
