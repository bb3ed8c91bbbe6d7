/**
 * Storage clients from the app's storage setting: a connection string locally (Azurite), a managed
 * identity in Azure (no account keys).
 */
import { QueueServiceClient } from "@azure/storage-queue";
import { RestError, TableClient } from "@azure/data-tables";
import type { StorageConnection } from "../config";
import { azureCredential } from "./credentials";

/**
 * `singleTry`: no SDK retries, for a probe that must report what storage answers now (the heartbeat) instead of
 * hiding an outage behind half a minute of retries.
 */
export interface StorageClientOptions {
  singleTry?: boolean;
}

export function queueService(storage: StorageConnection, options: StorageClientOptions = {}): QueueServiceClient {
  const pipeline = options.singleTry ? { retryOptions: { maxTries: 1 } } : undefined;
  return storage.kind === "connectionString"
    ? QueueServiceClient.fromConnectionString(expandDevelopmentStorage(storage.connectionString), pipeline)
    : new QueueServiceClient(storage.queueServiceUri, azureCredential(storage.clientId), pipeline);
}

export function tableClient(storage: StorageConnection, tableName: string, options: StorageClientOptions = {}): TableClient {
  const retries = options.singleTry ? { retryOptions: { maxRetries: 0 } } : {};
  if (storage.kind === "identity") {
    return new TableClient(storage.tableServiceUri, tableName, azureCredential(storage.clientId), retries);
  }
  const connectionString = expandDevelopmentStorage(storage.connectionString);
  // Azurite speaks plain http on loopback; the SDK wants that said explicitly.
  const insecure = /TableEndpoint=http:\/\/(127\.0\.0\.1|localhost)/i.test(connectionString);
  return TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: insecure, ...retries });
}

/** "UseDevelopmentStorage=true" means Azurite on its default ports. */
function expandDevelopmentStorage(connectionString: string): string {
  if (connectionString.trim() !== "UseDevelopmentStorage=true") return connectionString;
  const account = "devstoreaccount1";
  return (
    `DefaultEndpointsProtocol=http;AccountName=${account};` +
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
    `QueueEndpoint=http://127.0.0.1:10001/${account};TableEndpoint=http://127.0.0.1:10002/${account};`
  );
}

/** Creates the table on first use (so a fresh storage account needs no setup step); a failed attempt is tried again. */
export function createdOnFirstUse(table: TableClient): () => Promise<void> {
  let ready: Promise<unknown> | undefined;
  return async () => {
    ready ??= table.createTable().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    await ready;
  };
}

/** Did storage answer with one of these statuses (404 missing, 409 already there, 412 changed since read)? */
export function storageAnswered(error: unknown, ...statuses: number[]): boolean {
  return error instanceof RestError && error.statusCode !== undefined && statuses.includes(error.statusCode);
}

/** What the read returns, or undefined when there is nothing (here a 404 is an answer, not a failure). */
export async function unlessMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (storageAnswered(error, 404)) return undefined;
    throw error;
  }
}

/** One entity, or undefined when it does not exist. */
export async function entityOrUndefined<T extends object = Record<string, unknown>>(table: TableClient, partitionKey: string, rowKey: string): Promise<(T & { etag?: string }) | undefined> {
  return unlessMissing(() => table.getEntity<T>(partitionKey, rowKey));
}

/** A date stored in a table: the SDK gives a Date for typed properties and a string otherwise. */
export function tableDate(v: unknown): Date;
export function tableDate(v: unknown, optional: "optional"): Date | undefined;
export function tableDate(v: unknown, optional?: "optional"): Date | undefined {
  if (optional && (v === undefined || v === null || v === "")) return undefined;
  return v instanceof Date ? v : new Date(String(v));
}
