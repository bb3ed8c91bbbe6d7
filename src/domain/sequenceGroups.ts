/**
 * Sequenced runs (v2 semantics): VMs tagged `sequencestart` (for start) or `sequencestop` (for stop) with
 * non-negative integers act in ascending groups; one group's VMs act in parallel; untagged VMs are skipped.
 * Pure: reading tags and planning groups.
 */
import { tagValue } from "./tags";
import { assertNever, type RequestAction } from "../targets/powerAction";

/** Every stop mode orders by `sequencestop`: the tag is about starting versus stopping, not how. */
export function sequenceTagFor(action: RequestAction): "sequencestart" | "sequencestop" {
  switch (action) {
    case "start":
      return "sequencestart";
    case "stop":
      return "sequencestop";
    default:
      return assertNever(action, "request action");
  }
}

export type SequencePosition =
  | { kind: "untagged" }
  | { kind: "invalid"; raw: string }
  | { kind: "group"; value: number };

/** Tag names are matched case-insensitively, as Azure tag names are case-insensitive. */
export function readSequencePosition(tags: Record<string, string>, tag: string): SequencePosition {
  const value = tagValue(tags, tag);
  if (value === undefined) return { kind: "untagged" };
  const raw = value.trim();
  if (!/^\d{1,9}$/.test(raw)) return { kind: "invalid", raw: value };
  return { kind: "group", value: Number(raw) };
}

/** Distinct group values in the order they run. */
export function planGroups(values: Iterable<number>): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

export function describeInvalidTag(tag: string, raw: string): string {
  return `tag ${tag} has the value "${raw}"; it must be a non-negative integer (0, 1, 2, ...) giving the VM's group`;
}
