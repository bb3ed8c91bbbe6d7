/**
 * Overrides: a VM held in a state against its schedule until an instant. Set by the tag `startstop-override`
 * (`running-until=<ISO>` or `stopped-until=<ISO>`) or by POST /api/vms/{id}/override. Pure.
 */
import type { Override } from "./decision";

const TAG = /^\s*(running|stopped)-until=(\S+)\s*$/i;

/** The override a tag value asks for; undefined when the value is not one (the evaluator says so in the reason). */
export function overrideFromTag(value: string | undefined, tagName: string): Override | undefined {
  if (value === undefined) return undefined;
  const m = TAG.exec(value);
  if (!m) return undefined;
  const until = new Date(m[2]!);
  if (Number.isNaN(until.getTime()) || !/[zZ]|[+-]\d{2}:\d{2}$/.test(m[2]!)) return undefined;
  return { state: m[1]!.toLowerCase() as Override["state"], until, source: `tag ${tagName}` };
}

/** The one that holds at `at`: the later-ending of the two when both do. */
export function activeOverride(at: Date, ...candidates: (Override | undefined)[]): Override | undefined {
  const live = candidates.filter((o): o is Override => o !== undefined && o.until.getTime() > at.getTime());
  return live.sort((a, b) => b.until.getTime() - a.until.getTime())[0];
}
