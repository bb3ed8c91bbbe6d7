/**
 * Read-modify-write of an AutoStop configuration, etag-checked: POST /api/AutoStop replacing the body and a sync run
 * remembering the resource groups it put alerts in both change the same row. Without the check, the later save drops the
 * other's change (a remembered group lost is an alert never found again to delete). A save that lost the race reads the
 * row again and re-applies its change.
 */
import type { AutoStopConfiguration, AutoStopStore } from "./autoStopStore";

const TRIES = 5;

/**
 * Applies `change` to the configuration as stored now (undefined: none yet) and saves it; `change` returning undefined
 * means nothing to write. Returns what was saved (or undefined when nothing was).
 */
export async function updateConfiguration(
  store: AutoStopStore, name: string, change: (current: AutoStopConfiguration | undefined) => AutoStopConfiguration | undefined,
): Promise<AutoStopConfiguration | undefined> {
  for (let tries = 0; tries < TRIES; tries++) {
    const current = await store.getConfiguration(name);
    const next = change(current);
    if (!next) return undefined;
    if (await store.saveConfiguration({ ...next, name, etag: current?.etag })) return next;
  }
  throw new Error(`AutoStop configuration "${name}" kept changing while it was being saved; try again`);
}
