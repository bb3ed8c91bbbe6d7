/**
 * How every official ARM client of the app is set up and called: the endpoint (Azure or the local simulator), TLS trust for
 * the simulator's certificate, and the SDK's own retries off — retrying is the queue's job, and a hidden retry would
 * break pacing and the attempt counts the app reports.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/identity";
import { ArmRequestError, type ArmFailure } from "../domain/armError";
import type { Clock } from "../engine/ports";

export interface ArmClientSettings {
  endpoint: string;
  credential: TokenCredential;
  /** PEM to trust (the local simulator's self-signed certificate). */
  caCertPath?: string;
  /** The app's clock: a Retry-After is in real seconds, the app thinks in its own (compressed in the local world). */
  clock?: Pick<Clock, "appSeconds">;
}

export function armClientOptions(settings: ArmClientSettings) {
  const ca = settings.caCertPath ? readFileSync(settings.caCertPath, "utf8") : undefined;
  return {
    endpoint: settings.endpoint,
    retryOptions: { maxRetries: 0 },
    tlsOptions: ca ? { ca } : undefined,
    userAgentOptions: { userAgentPrefix: "startstop-vms-next/0.1" },
  };
}

/** Runs one ARM call; whatever the SDK throws becomes an ArmRequestError with the domain's failure shape. */
export async function armCall<T>(call: () => Promise<T>, clock?: Pick<Clock, "appSeconds">): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const failure = toArmFailure(error);
    if (failure.retryAfterSeconds !== undefined && clock) failure.retryAfterSeconds = clock.appSeconds(failure.retryAfterSeconds);
    throw new ArmRequestError(failure);
  }
}

/** Converts whatever the SDK threw (RestError, network error) into the domain's failure shape. */
export function toArmFailure(error: unknown): ArmFailure {
  const e = error as { statusCode?: number; code?: string; message?: string; response?: { headers?: { get(name: string): string | undefined } } };
  const retryAfter = e.response?.headers?.get("retry-after");
  const seconds = retryAfter !== undefined ? Number(retryAfter) : NaN;
  return {
    status: typeof e.statusCode === "number" ? e.statusCode : undefined,
    code: e.code || (typeof e.statusCode === "number" ? `Http${e.statusCode}` : "NetworkError"),
    message: (e.message || String(error)).slice(0, 2000),
    retryAfterSeconds: Number.isFinite(seconds) ? seconds : undefined,
  };
}
