/**
 * Which credential talks to ARM and to storage. The fixed token for the local simulator is guarded so it
 * can only ever be attached to a request for a loopback host.
 */
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { isLoopbackHost } from "../config";

export const SIMULATOR_TOKEN = "local-arm-simulator-token";
/** The guardian's own token for the local simulator: another principal than the app's, with its own role assignments. */
export const GUARDIAN_SIMULATOR_TOKEN = "local-arm-simulator-guardian-token";

/** Hands out a simulator token (the app's unless told) only for the loopback endpoint it was created for. */
export function simulatorCredential(endpoint: string, token = SIMULATOR_TOKEN): TokenCredential {
  if (!isLoopbackHost(new URL(endpoint).hostname)) {
    throw new Error(`Refusing to use the local simulator token for ${endpoint}: it is only for loopback endpoints`);
  }
  return {
    async getToken() {
      return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

export function azureCredential(clientId?: string): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}
