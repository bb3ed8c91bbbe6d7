/**
 * Which VM a scheduled-events agent speaks for (docs/platform-events.md): its managed-identity token, proven by the
 * trust module (src/trust/bearerToken.ts: issuer, audience, expiry, signature), must carry an `xms_mirid` that is a
 * VM's resource ID. A system-assigned identity's `xms_mirid` is its VM's ID, so a VM can only speak for itself.
 */
import { parseVmId, vmKey } from "../domain/resourceId";
import { proveBearerToken, type SigningKeyLookup } from "../trust/bearerToken";

export interface VmTokenSettings {
  issuer: string;
  audience: string;
}

export type TokenCheck =
  | { ok: true; vmKey: string; principalId?: string }
  | { ok: false; status: 401 | 403 | 503; reason: string };

export async function checkVmToken(authorization: string | null | undefined, settings: VmTokenSettings, keys: SigningKeyLookup, now: () => Date): Promise<TokenCheck> {
  const proof = await proveBearerToken(authorization, { issuers: [settings.issuer], audience: settings.audience, now, audienceSetting: "REPORT_AUDIENCE" }, keys);
  if (!proof.ok) return proof;
  const identity = typeof proof.claims.xms_mirid === "string" ? parseVmId(proof.claims.xms_mirid) : undefined;
  if (!identity) {
    return { ok: false, status: 403, reason: "the token is not a VM's system-assigned managed identity (xms_mirid must be the VM's resource ID)" };
  }
  return { ok: true, vmKey: vmKey(identity), principalId: typeof proof.claims.oid === "string" ? proof.claims.oid : undefined };
}
