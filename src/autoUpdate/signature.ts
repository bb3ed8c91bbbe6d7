/**
 * A release package's signature: Ed25519 over the package's exact bytes, published as the asset `<package>.sig`
 * (the 64-byte signature, base64), checked against the public key pinned in the app settings (AUTO_UPDATE_SIGNING_KEY).
 * The key never comes from the feed, so whoever can change the release (or the feed, or the download on its way) cannot
 * also make the app accept it. Pure (node:crypto, no I/O).
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): followed by the 32 raw key bytes. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The pinned key: base64 of the 32 raw bytes (as minisign and most tools print it), of the SPKI DER, or a PEM. */
export function parseSigningKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) return ed25519(createPublicKey(trimmed));
  const bytes = Buffer.from(trimmed, "base64");
  if (bytes.length === 32) return ed25519(createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, bytes]), format: "der", type: "spki" }));
  return ed25519(createPublicKey({ key: bytes, format: "der", type: "spki" }));
}

function ed25519(key: KeyObject): KeyObject {
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`the signing key must be an Ed25519 public key, got ${key.asymmetricKeyType ?? "an unknown key"}`);
  return key;
}

/** The signature file's content: base64 of the 64 signature bytes (whitespace around it ignored). */
export function parseSignature(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, "base64");
  return bytes.length === 64 ? bytes : undefined;
}

export function signatureValid(bytes: Buffer, signature: Buffer, key: KeyObject): boolean {
  try {
    return verify(null, bytes, key, signature);
  } catch {
    return false;
  }
}
