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
  stopRequestId: string;
}

/** Events of many VMs → each VM's stopped intervals, in time order (same-time events: stopped before started). */
export function stoppedIntervals(events: Iterable<HistoryEvent>): Map<string, StoppedInterval[]> {
  const byVm = new Map<string, HistoryEvent[]>();
  for (const e of events) {
    const list = byVm.get(e.vmKey);
    if (list) list.push(e);
    else byVm.set(e.vmKey, [e]);
  }
  const order: Record<HistoryKind, number> = { seenRunning: 0, stopped: 1, started: 2 };
  const out = new Map<string, StoppedInterval[]>();
  for (const [vmKey, list] of byVm) {
    list.sort((a, b) => a.time - b.time || order[a.kind] - order[b.kind]);
    const intervals: StoppedInterval[] = [];
    let open: StoppedInterval | undefined;
    for (const e of list) {
      if (e.kind === "stopped") {
        open ??= { vmKey, start: e.time, stopRequestId: e.requestId };
      } else if (open) {
        if (e.kind === "started") open.end = e.time;
        else open.unknownEndBefore = e.time;
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

export function decodeEvents(text: string, requestId: string): HistoryEvent[] {
  const { b, g } = JSON.parse(text) as { b: number; g: Record<string, Record<string, string>> };
  const out: HistoryEvent[] = [];
  for (const [prefix, vms] of Object.entries(g)) {
    for (const [name, codes] of Object.entries(vms)) {
      for (const code of codes.split(",")) {
        const kind: HistoryKind = code[0] === "s" ? "stopped" : code[0] === "a" ? "started" : "seenRunning";
        out.push({ vmKey: `${prefix}/${name}`, time: b + parseInt(code.slice(1), 36), kind, requestId });
      }
    }
  }
  return out;
}
