/**
 * The signing keys of the token issuer whose VM tokens the app accepts (Entra ID's JWKS, or the local IMDS
 * simulator's), fetched once and refreshed at most every few minutes when a token names a key not seen yet (keys roll).
 */
import type { JsonWebKey } from "node:crypto";

const REFRESH_AT_MOST_EVERY_MS = 5 * 60_000;

export class SigningKeys {
  private keys = new Map<string, JsonWebKey>();
  private fetchedAt = 0;
  private pending?: Promise<void>;

  constructor(private readonly jwksUrl: string, private readonly now: () => number = Date.now) {}

  /** The keys, refreshed first when empty or when `missingKeyId` is unknown and the last fetch is old enough. */
  async get(missingKeyId?: string): Promise<ReadonlyMap<string, JsonWebKey>> {
    const stale = this.keys.size === 0 || (missingKeyId !== undefined && !this.keys.has(missingKeyId) && this.now() - this.fetchedAt > REFRESH_AT_MOST_EVERY_MS);
    if (stale) {
      this.pending ??= this.fetch().finally(() => (this.pending = undefined));
      await this.pending;
    }
    return this.keys;
  }

  private async fetch(): Promise<void> {
    const response = await fetch(this.jwksUrl, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`fetching signing keys from ${this.jwksUrl} answered ${response.status}`);
    const body = (await response.json()) as { keys?: (JsonWebKey & { kid?: string })[] };
    const keys = new Map<string, JsonWebKey>();
    for (const key of body.keys ?? []) if (typeof key.kid === "string" && key.kty === "RSA") keys.set(key.kid, key);
    this.keys = keys;
    this.fetchedAt = this.now();
  }
}
