/**
 * Waiting for something in the local world (a request to finish, a VM to reach a state, a log line): poll until the
 * probe gives a value. The cap is generous on purpose: a test waits for the event itself, and the cap only turns a
 * hang into a failure that says what never happened (and, with `explain`, what was seen instead). It is never a
 * measure of speed: that belongs in the benchmark.
 */
export interface EventuallyOptions {
  /** Real milliseconds before giving up (default two minutes). */
  timeoutMs?: number;
  /** Real milliseconds between probes (default 250). */
  everyMs?: number;
  /** What to add to the failure: the last state seen, recent logs. */
  explain?: () => string | Promise<string>;
}

export const EVENTUALLY_TIMEOUT_MS = 120_000;

export async function eventually<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, o: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? EVENTUALLY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      const detail = o.explain ? `\n${await o.explain()}` : "";
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 250));
  }
}
