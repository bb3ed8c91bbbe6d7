import { QueueServiceClient, type QueueClient } from "@azure/storage-queue";

const DEV_STORAGE =
  "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
  "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
  "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;";

const services = new Map<string, QueueServiceClient>();

/**
 * The queue service for a binding's `connection` setting (default `AzureWebJobsStorage`), resolved like the host:
 * `<conn>` (or `AzureWebJobs<conn>`) holding a connection string or `UseDevelopmentStorage=true`, or identity-based
 * `<conn>__queueServiceUri` / `<conn>__serviceUri` / `<conn>__accountName` (DefaultAzureCredential,
 * `<conn>__clientId` for a user-assigned identity).
 */
export function queueService(connection: string | undefined, env: NodeJS.ProcessEnv = process.env): QueueServiceClient {
  const name = connection && connection.trim() !== "" ? connection : "AzureWebJobsStorage";
  const cached = services.get(name);
  if (cached) return cached;
  const client = createService(name, env);
  services.set(name, client);
  return client;
}

function createService(name: string, env: NodeJS.ProcessEnv): QueueServiceClient {
  for (const candidate of [name, `AzureWebJobs${name}`]) {
    const value = env[candidate]?.trim();
    if (!value) continue;
    if (/^UseDevelopmentStorage=true/i.test(value)) return QueueServiceClient.fromConnectionString(DEV_STORAGE);
    return QueueServiceClient.fromConnectionString(value);
  }
  for (const candidate of [name, `AzureWebJobs${name}`]) {
    const uri = env[`${candidate}__queueServiceUri`] ?? env[`${candidate}__serviceUri`]
      ?? (env[`${candidate}__accountName`] ? `https://${env[`${candidate}__accountName`]}.queue.core.windows.net` : undefined);
    if (!uri) continue;
    // Loaded lazily: only identity-based connections need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const identity = require("@azure/identity") as typeof import("@azure/identity");
    const clientId = env[`${candidate}__clientId`];
    const credential = new identity.DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    return new QueueServiceClient(uri, credential);
  }
  throw new Error(
    `Storage connection "${name}" is not configured: set "${name}" to a connection string ` +
    `(or UseDevelopmentStorage=true) or "${name}__queueServiceUri" for an identity-based connection.`,
  );
}

const ensured = new Map<string, Promise<unknown>>();

/** Creates the queue once per process if it does not exist. */
export async function ensureQueue(queue: QueueClient, abortSignal?: AbortSignal): Promise<void> {
  let pending = ensured.get(queue.url);
  if (!pending) {
    pending = queue.createIfNotExists({ abortSignal });
    ensured.set(queue.url, pending);
    pending.catch(() => ensured.delete(queue.url));
  }
  await pending;
}

export function encodeMessage(text: string, encoding: "base64" | "none"): string {
  return encoding === "base64" ? Buffer.from(text, "utf8").toString("base64") : text;
}

/** Decodes a received message; throws when a base64 queue receives text that is not base64. */
export function decodeMessage(text: string, encoding: "base64" | "none"): string {
  if (encoding === "none") return text;
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new Error("Message decoding has failed: the message is not valid base64. Check host.json extensions.queues.messageEncoding.");
  }
  return Buffer.from(compact, "base64").toString("utf8");
}
