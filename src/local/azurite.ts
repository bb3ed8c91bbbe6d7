import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { findFreePort } from "./ports";

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface RunningAzurite {
  connectionString: string;
  queuePort: number;
  tablePort: number;
  stop(): Promise<void>;
}

function azuriteBin(): string {
  return require.resolve("azurite/dist/src/azurite.js");
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
 * Starts Azurite (queue + table services only, in memory) on free loopback ports.
 * `--skipApiVersionCheck` is needed because the current storage SDKs send newer API versions than Azurite knows.
 */
export async function startAzurite(options: { silent?: boolean; ports?: { blob: number; queue: number; table: number } } = {}): Promise<RunningAzurite> {
  const queuePort = options.ports?.queue ?? (await findFreePort());
  const tablePort = options.ports?.table ?? (await findFreePort());
  const blobPort = options.ports?.blob ?? (await findFreePort());
  for (const port of options.ports ? [blobPort, queuePort, tablePort] : []) {
    if (await isPortOpen(port)) throw new Error(`Port ${port} is already in use (another Azurite?). Stop it, or it will receive this app's queues and tables.`);
  }
  const child: ChildProcess = spawn(process.execPath, [
    azuriteBin(),
    "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
    "--blobPort", String(blobPort), "--queuePort", String(queuePort), "--tablePort", String(tablePort),
  ], { stdio: options.silent === false ? "inherit" : "ignore" });
  let exited = false;
  child.once("exit", () => { exited = true; });
  try {
    await Promise.all([waitForPort(queuePort, 20_000), waitForPort(tablePort, 20_000)]);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${DEV_ACCOUNT};` +
    `QueueEndpoint=http://127.0.0.1:${queuePort}/${DEV_ACCOUNT};` +
    `TableEndpoint=http://127.0.0.1:${tablePort}/${DEV_ACCOUNT};`;
  return {
    connectionString,
    queuePort,
    tablePort,
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
