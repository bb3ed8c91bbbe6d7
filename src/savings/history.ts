/**
 * What a finished run tells about VMs' power for savings, and how those facts become stopped intervals. Pure.
 *
 * A run leaves one event per VM it learnt something about:
 * - `stopped` at the time this app **verified** the VM deallocated after its own deallocate (a `stop` run's Succeeded row,
 *   `finishedAt`): the start of hours avoided because of this app;
 * - `started` at the time this app sent a start (any `start` row with `actedAt`): the next start, by this app;
 * - `seenRunning` at a time the app found the VM not deallocated without having started it (a start run found it already
 *   running, or a stop run had to deallocate it): some other cause started it before then, time unknown.
 *
 * A VM a stop run found already deallocated (AlreadyInState) adds nothing: it was not stopped by this app, and an
 * interval already open goes on.
 */
import type { RequestRecord, VmRecord } from "../engine/records";

export type HistoryKind = "stopped" | "started" | "seenRunning";

export interface HistoryEvent {
  /** vmKey(): the lower-cased resource id. */
  vmKey: string;
  time: number;
  kind: HistoryKind;
  requestId: string;
}

/** The events one finished run contributes. */
export function historyEventsOf(request: Pick<RequestRecord, "requestId" | "action" | "createdAt">, rows: VmRecord[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const add = (row: VmRecord, kind: HistoryKind, time: Date | undefined) => {
    if (time) events.push({ vmKey: row.key, time: time.getTime(), kind, requestId: request.requestId });
  };
  for (const row of rows) {
    if (request.action === "start") {
      if (row.actedAt && row.status !== "AlreadyInState") add(row, "started", row.actedAt);
      else if (row.status === "AlreadyInState") add(row, "seenRunning", row.finishedAt ?? request.createdAt);
    } else {
      // A deallocate was sent: the VM was not deallocated then, whatever happened before.
      if (row.actedAt) add(row, "seenRunning", row.actedAt);
      if (row.status === "Succeeded" && row.finishedAt) add(row, "stopped", row.finishedAt);
    }
  }
  return events;
}

/** One stretch of a VM deallocated because of this app. */
export interface StoppedInterval {
  vmKey: string;
  start: number;
  /** Known end: the next start this app sent, or the start the Activity Log shows; undefined while open. */
  end?: number;
  /**
   * Set when another cause started the VM at a time the app does not know: the start lies between `start` and this
   * bound (a later run saw it running, or it is running now). The Activity Log is asked for the real time.
   */
  unknownEndBefore?: number;
}

/**
 * Events packed one number each, `time × 4 + kind` (seenRunning 0, stopped 1, started 2), so a month of a large
 * fleet's history is a few megabytes of numbers per VM instead of a million objects; sorting the numbers orders by
 * time and, at the same time, a sighting before a stop before a start.
 */
export type PackedHistory = Map<string, number[]>;
const KIND_CODE: Record<HistoryKind, number> = { seenRunning: 0, stopped: 1, started: 2 };

export function packEvent(time: number, kind: HistoryKind): number {
  return time * 4 + KIND_CODE[kind];
}

export function packEvents(events: Iterable<HistoryEvent>): PackedHistory {
  const byVm: PackedHistory = new Map();
  for (const e of events) (byVm.get(e.vmKey) ?? byVm.set(e.vmKey, []).get(e.vmKey)!).push(packEvent(e.time, e.kind));
  return byVm;
}

/** Each VM's events → its stopped intervals, in time order. */
export function stoppedIntervals(history: PackedHistory): Map<string, StoppedInterval[]> {
  const out = new Map<string, StoppedInterval[]>();
  for (const [vmKey, packed] of history) {
    packed.sort((a, b) => a - b);
    const intervals: StoppedInterval[] = [];
    let open: StoppedInterval | undefined;
    for (const p of packed) {
      const kind = p % 4;
      const time = (p - kind) / 4;
      if (kind === 1) {
        open ??= { vmKey, start: time };
      } else if (open) {
        if (kind === 2) open.end = time;
        else open.unknownEndBefore = time;
        intervals.push(open);
        open = undefined;
      }
    }
    if (open) intervals.push(open);
    if (intervals.length > 0) out.set(vmKey, intervals);
  }
  return out;
}

/** Milliseconds of `interval` inside [from, to), with `end` the end to use (known, found, or the window's). */
export function overlapMs(start: number, end: number, from: number, to: number): number {
  return Math.max(0, Math.min(end, to) - Math.max(start, from));
}

/**
 * Compact storage form of one run's events: `{ "<vm key>": "<kind letter><ms since base, base36>" ... }` with the base
 * the run's creation time, so 10,000 VMs fit in a few hundred kilobytes.
 */
export function encodeEvents(base: number, events: HistoryEvent[]): string {
  const byVm = new Map<string, string[]>();
  for (const e of events) {
    const code = `${e.kind === "stopped" ? "s" : e.kind === "started" ? "a" : "r"}${(e.time - base).toString(36)}`;
    const list = byVm.get(e.vmKey);
    if (list) list.push(code);
    else byVm.set(e.vmKey, [code]);
  }
  // Grouped by the id's prefix (subscription + resource group), so each long prefix is stored once.
  const groups: Record<string, Record<string, string>> = {};
  for (const [key, codes] of byVm) {
    const cut = key.lastIndexOf("/");
    (groups[key.slice(0, cut)] ??= {})[key.slice(cut + 1)] = codes.join(",");
  }
  return JSON.stringify({ b: base, g: groups });
}

/** Adds one run's stored events to `into` (each VM's key string is made once, whatever the number of runs). */
export function decodeEventsInto(text: string, into: PackedHistory, keys: Map<string, Map<string, string>>, onNewPrefix?: (prefix: string) => void): number {
  const { b, g } = JSON.parse(text) as { b: number; g: Record<string, Record<string, string>> };
  let count = 0;
  for (const prefix in g) {
    const vms = g[prefix]!;
    let names = keys.get(prefix);
    if (!names) {
      keys.set(prefix, (names = new Map()));
      onNewPrefix?.(prefix);
    }
    for (const name in vms) {
      let key = names.get(name);
      if (key === undefined) names.set(name, (key = `${prefix}/${name}`));
      let list = into.get(key);
      if (!list) into.set(key, (list = []));
      // Parsed in place (no split, no substrings): a month of a large fleet is a million codes.
      const codes = vms[name]!;
      for (let i = 0; i < codes.length; i++) {
        const c = codes.charCodeAt(i);
        const kind = c === 115 /* s */ ? 1 : c === 97 /* a */ ? 2 : 0;
        let negative = false;
        let value = 0;
        for (i++; i < codes.length; i++) {
          const d = codes.charCodeAt(i);
          if (d === 44 /* , */) break;
          if (d === 45 /* - */) negative = true;
          else value = value * 36 + (d <= 57 ? d - 48 : d - 87);
        }
        list.push((b + (negative ? -value : value)) * 4 + kind);
        count++;
      }
    }
  }
  return count;
}

export function decodeEvents(text: string, requestId: string): HistoryEvent[] {
  const packed: PackedHistory = new Map();
  decodeEventsInto(text, packed, new Map());
  const kinds: HistoryKind[] = ["seenRunning", "stopped", "started"];
  const out: HistoryEvent[] = [];
  for (const [vmKey, list] of packed) for (const p of list) out.push({ vmKey, time: (p - (p % 4)) / 4, kind: kinds[p % 4]!, requestId });
  return out;
}
