/**
 * Managed-identity tokens as IMDS hands them to a VM: RS256 JWTs (v1 shape: iss https://sts.windows.net/<tenant>/)
 * whose `xms_mirid` names the VM for a system-assigned identity, signed by a key the simulator publishes as a JWKS
 * at the same path shape as Entra ID's (`/<tenant>/discovery/v2.0/keys`).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";

export interface IssuedToken {
  accessToken: string;
  expiresOn: number;
  notBefore: number;
}

export class TokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly kid: string;

  constructor(readonly tenantId: string) {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.kid = createHash("sha256").update(this.publicKey.export({ format: "der", type: "spki" })).digest("base64url").slice(0, 27);
  }

  get issuer(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicKey.export({ format: "jwk" }), kid: this.kid, use: "sig", alg: "RS256" }] };
  }

  /**
   * A token for `audience` on behalf of the identity `miResourceId` (the VM, for a system-assigned identity; omitted
   * for other principals); `appId` when the principal's application ID differs from its object ID; `claims` added last.
   */
  issue(options: { audience: string; miResourceId?: string; principalId: string; appId?: string; nowMs: number; lifetimeSeconds?: number; claims?: Record<string, unknown> }): IssuedToken {
    const iat = Math.floor(options.nowMs / 1000);
    const exp = iat + (options.lifetimeSeconds ?? 3600);
    const header = { typ: "JWT", alg: "RS256", kid: this.kid };
    const claims = {
      aud: options.audience,
      iss: this.issuer,
      iat,
      nbf: iat,
      exp,
      aio: randomUUID(),
      appid: options.appId ?? options.principalId,
      appidacr: "2",
      idp: this.issuer,
      oid: options.principalId,
      sub: options.principalId,
      tid: this.tenantId,
      ...(options.miResourceId ? { xms_mirid: options.miResourceId } : {}),
      ...options.claims,
    };
    const unsigned = `${encode(header)}.${encode(claims)}`;
    const signature = sign("sha256", Buffer.from(unsigned), this.privateKey).toString("base64url");
    return { accessToken: `${unsigned}.${signature}`, expiresOn: exp, notBefore: iat };
  }
}

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
