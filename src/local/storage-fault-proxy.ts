/**
 * A fault-injecting HTTP proxy in front of Azurite. The app's storage connection string points at it (one
 * listener per service, queue and table); it forwards to Azurite and, inside fault windows of real time,
 * answers as an overloaded storage account would: added latency, 503 ServerBusy with the service's own
 * error body (XML for queues, JSON for tables), or a connection dropped mid-request. Tests keep a direct
 * connection to Azurite for their own checks. Error shapes: docs/azure-facts.md#storage-errors.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";

export type StorageService = "queue" | "table";
export type FaultKind = "latency" | "serverBusy" | "drop";

export interface FaultWindow {
  kind: FaultKind;
  /** Services affected; both when omitted. */
  services?: StorageService[];
  /** Real-time window, epoch milliseconds [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** For `latency`: added delay before forwarding. */
  latencyMs?: number;
}

export interface ProxyCounts {
  forwarded: number;
  serverBusy: number;
  dropped: number;
  delayed: number;
}

export interface StorageFaultProxy {
  queuePort: number;
  tablePort: number;
  /** Azurite's development account behind the proxy's ports. */
  connectionString: string;
  /** Adds a window; returns its id (for removeFault). */
  addFault(window: FaultWindow): number;
  removeFault(id: number): void;
  clearFaults(): void;
  counts(service: StorageService): ProxyCounts;
  close(): Promise<void>;
}

export interface StorageFaultProxyOptions {
  /** Azurite's ports on 127.0.0.1. */
  queueTarget: number;
  tableTarget: number;
  /** Account name and key of the connection string the proxy hands out (Azurite's). */
  accountName: string;
  accountKey: string;
  /** Injected clock for the windows (default Date.now). */
  now?: () => number;
}

export async function startStorageFaultProxy(options: StorageFaultProxyOptions): Promise<StorageFaultProxy> {
  const now = options.now ?? Date.now;
  const windows = new Map<number, FaultWindow>();
  let nextId = 1;
  const counts: Record<StorageService, ProxyCounts> = {
    queue: { forwarded: 0, serverBusy: 0, dropped: 0, delayed: 0 },
    table: { forwarded: 0, serverBusy: 0, dropped: 0, delayed: 0 },
  };
  const active = (service: StorageService): FaultWindow[] => {
    const t = now();
    return [...windows.values()].filter((w) => t >= w.fromMs && t < w.toMs && (!w.services || w.services.includes(service)));
  };
  const queue = await listen("queue", options.queueTarget);
  const table = await listen("table", options.tableTarget);

  async function listen(service: StorageService, target: number): Promise<{ server: Server; port: number; agent: Agent }> {
    const agent = new Agent({ keepAlive: true, maxSockets: 256 });
    const server = createServer((req, res) => void handle(service, target, agent, req, res));
    server.keepAliveTimeout = 5_000;
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
    });
    return { server, port, agent };
  }

  async function handle(service: StorageService, target: number, agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const faults = active(service);
    const delay = Math.max(0, ...faults.filter((f) => f.kind === "latency").map((f) => f.latencyMs ?? 0));
    if (delay > 0) {
      counts[service].delayed++;
      await new Promise((r) => setTimeout(r, delay));
    }
    if (faults.some((f) => f.kind === "drop")) {
      counts[service].dropped++;
      // Mid-request: the client has sent (part of) its request and gets no answer at all.
      req.socket.destroy();
      return;
    }
    if (faults.some((f) => f.kind === "serverBusy")) {
      counts[service].serverBusy++;
      req.resume();
      return serverBusy(service, res);
    }
    counts[service].forwarded++;
    const upstream = httpRequest(
      { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${target}` }, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => req.socket.destroy());
    req.pipe(upstream);
  }

  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${options.accountName};AccountKey=${options.accountKey};` +
    `QueueEndpoint=http://127.0.0.1:${queue.port}/${options.accountName};` +
    `TableEndpoint=http://127.0.0.1:${table.port}/${options.accountName};`;

  return {
    queuePort: queue.port,
    tablePort: table.port,
    connectionString,
    addFault(window) {
      if (!(window.toMs > window.fromMs)) throw new Error(`fault window must end after it starts (fromMs ${window.fromMs}, toMs ${window.toMs})`);
      const id = nextId++;
      windows.set(id, { ...window });
      return id;
    },
    removeFault(id) {
      windows.delete(id);
    },
    clearFaults() {
      windows.clear();
    },
    counts(service) {
      return { ...counts[service] };
    },
    async close() {
      for (const { server, agent } of [queue, table]) {
        server.closeAllConnections();
        agent.destroy();
        await new Promise((r) => server.close(() => r(null)));
      }
    },
  };
}

/** 503 as the storage service answers when an account or partition is over its limits. */
function serverBusy(service: StorageService, res: ServerResponse): void {
  const requestId = randomUUID();
  const message = `The server is busy.\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  const body = service === "queue"
    ? `<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code><Message>${message}</Message></Error>`
    : JSON.stringify({ "odata.error": { code: "ServerBusy", message: { lang: "en-US", value: message } } });
  res.writeHead(503, {
    "content-type": service === "queue" ? "application/xml" : "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
    "x-ms-error-code": "ServerBusy",
    "x-ms-request-id": requestId,
    "x-ms-version": "2019-02-02",
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}
