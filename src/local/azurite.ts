import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { findFreePort } from "./freePort";

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite {
  connectionString: string;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

export async function isPortOpen(port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => { socket.end(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Azurite did not open port ${port} within ${timeoutMs} ms`);
}

/**
 * Starts Azurite in memory on free loopback ports: one process per storage service, because each Azurite
 * process runs on one core and the queue and table services are both busy in a large run.
 * `--skipApiVersionCheck` is needed because the current storage SDKs send newer API versions than Azurite knows.
 * Blob runs only when a port is asked for (`npm start`, for tools such as Storage Explorer); the app needs none.
 */
export async function startAzurite(options: { silent?: boolean; ports?: { blob?: number; queue: number; table: number } } = {}): Promise<RunningAzurite> {
  const queuePort = options.ports?.queue ?? (await findFreePort());
  const tablePort = options.ports?.table ?? (await findFreePort());
  const blobPort = options.ports?.blob;
  const services: { name: "queue" | "table" | "blob"; port: number }[] = [
    { name: "queue", port: queuePort },
    { name: "table", port: tablePort },
    ...(blobPort !== undefined ? [{ name: "blob" as const, port: blobPort }] : []),
  ];
  for (const { port } of options.ports ? services : []) {
    if (await isPortOpen(port)) throw new Error(`Port ${port} is already in use (another Azurite?). Stop it, or it will receive this app's queues and tables.`);
  }
  const children = services.map(({ name, port }) => spawnService(name, port, options.silent !== false));
  try {
    await Promise.all(services.map(({ port }) => waitForPort(port, 20_000)));
  } catch (error) {
    for (const child of children) child.process.kill("SIGKILL");
    throw error;
  }
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    (blobPort !== undefined ? `BlobEndpoint=http://127.0.0.1:${blobPort}/${DEV_ACCOUNT};` : "") +
    `QueueEndpoint=http://127.0.0.1:${queuePort}/${DEV_ACCOUNT};` +
    `TableEndpoint=http://127.0.0.1:${tablePort}/${DEV_ACCOUNT};`;
  return {
    connectionString,
    queuePort,
    tablePort,
    async stop() {
      await Promise.all(children.map((child) => child.stop()));
    },
  };
}

function spawnService(name: "queue" | "table" | "blob", port: number, silent: boolean): { process: ChildProcess; stop(): Promise<void> } {
  const child: ChildProcess = spawn(process.execPath, [
    require.resolve(`azurite/dist/src/${name}/main.js`),
    "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
    `--${name}Port`, String(port),
  ], { stdio: silent ? "ignore" : "inherit" });
  let exited = false;
  child.once("exit", () => { exited = true; });
  return {
    process: child,
    async stop() {
      if (exited) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      });
    },
  };
}
