/**
 * The function key of `npm start`. Against the simulator any key will do (the published `local-dev-key`
 * is the default, so the README's curl lines work). With `--azure` the host deallocates real VMs, so a
 * published or guessable key is refused: either the user sets a long LOCAL_FUNCTION_KEY, or a random one
 * is generated for this run and printed once.
 */
import { randomBytes } from "node:crypto";

export const DEFAULT_LOCAL_KEY = "local-dev-key";
export const MIN_AZURE_KEY_LENGTH = 32;

export type KeyChoice = { ok: true; key: string; generated: boolean } | { ok: false; error: string };

/** `random` is injected so the choice is testable; it returns `n` random bytes. */
export function chooseFunctionKey(useAzure: boolean, given: string | undefined, random: (n: number) => Buffer = randomBytes): KeyChoice {
  if (!useAzure) return { ok: true, key: given || DEFAULT_LOCAL_KEY, generated: false };
  if (!given) return { ok: true, key: random(32).toString("base64url"), generated: true };
  if (given === DEFAULT_LOCAL_KEY) {
    return { ok: false, error: `LOCAL_FUNCTION_KEY is the published default "${DEFAULT_LOCAL_KEY}"; with --azure it would let anyone who knows it start and deallocate your real VMs. Unset it to get a random key for this run, or set a secret of at least ${MIN_AZURE_KEY_LENGTH} characters.` };
  }
  if (given.length < MIN_AZURE_KEY_LENGTH) {
    return { ok: false, error: `LOCAL_FUNCTION_KEY is ${given.length} characters; with --azure it must be at least ${MIN_AZURE_KEY_LENGTH} (e.g. \`openssl rand -base64 32\`), or unset it to get a random key for this run.` };
  }
  return { ok: true, key: given, generated: false };
}
