/**
 * Metrics of one benchmark row, computed from the simulator's own data (VM histories and its request log),
 * not from anything the app reports about itself.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { ArmSimulator, RequestLogEntry } from "../src/local/arm-simulator";

export interface RowResult {
  key: string;
  label: string;
  vms: number;
  /** Simulated seconds per real second this row ran at. */
  scale: number;
  /** T*: the joint bound (Compute's and Resource Manager's write buckets, the later, + the slowest configured operation), simulated seconds. */
  tStarSeconds: number;
  /** The bound with Compute's bucket alone (issue #4's formula), for comparison with earlier runs. */
  computeOnlySeconds: number;
  /** The slowest operation T* assumes (configured) and the slowest one the simulator actually drew in this row. */
  slowestConfiguredSeconds: number;
  slowestDrawnSeconds?: number;
  /** The power state the row moves every VM to. */
  target: "running" | "deallocated";
  /** Simulated seconds from the first request to the last VM reaching the target; undefined if not all did. */
  wallSeconds?: number;
  /** Simulated seconds until the last VM that did reach the target got there. */
  lastRunningSeconds?: number;
  /** App rows: simulated seconds until the request was terminal (seen by the status API), and its state. */
  terminalSeconds?: number;
  requestState?: string;
  /** The row was stopped at this simulated second (the time cap) before finishing. */
  cappedAtSeconds?: number;
  running: number;
  reads: number;
  writes: number;
  throttled: number;
  throttledWrites: number;
  /** App rows: function executions (Scheduled, orchestrator, executor; not the bench's own status polls). */
  executions?: number;
  executionsByFunction?: Record<string, number>;
  orchestratorMs?: number[];
  /** Peak resident memory (VmHWM) of the host process(es), MiB. */
  hostPeakMiB?: number;
  hostCpuSeconds?: number;
  realSeconds: number;
  notes: string[];
}

export interface SimFacts {
  running: number;
  wallSeconds?: number;
  lastRunningSeconds?: number;
  reads: number;
  writes: number;
  throttled: number;
  throttledWrites: number;
  /** The longest time from a VM's accepted call to it reaching the target: the slowest operation actually drawn. */
  slowestDrawnSeconds?: number;
  log: RequestLogEntry[];
}

/** The operation that moves a VM to `target`. */
function operationFor(target: string): "start" | "deallocate" {
  return target === "running" ? "start" : "deallocate";
}

/** Per VM id (lower case), the times of its accepted calls towards `target`, in log order. */
function acceptedCallTimes(log: RequestLogEntry[], target: string): Map<string, number[]> {
  const operation = operationFor(target);
  const calls = new Map<string, number[]>();
  for (const r of log) {
    if (r.operation !== operation || r.status >= 300 || !r.vmId) continue;
    const key = r.vmId.toLowerCase();
    const times = calls.get(key);
    if (times) times.push(Date.parse(r.time));
    else calls.set(key, [Date.parse(r.time)]);
  }
  return calls;
}

/** VM histories and request log since `t0` (simulated epoch ms). */
export function simFacts(sim: ArmSimulator, t0: number, target = "running"): SimFacts {
  const vms = sim.controlVms();
  const log = sim.log.since(0).requests.filter((r) => Date.parse(r.time) >= t0 - 1000);
  const acceptedCalls = acceptedCallTimes(log, target);
  let running = 0;
  let last = -Infinity;
  let slowestDrawn = -Infinity;
  for (const vm of vms) {
    let reached: number | undefined;
    for (const h of vm.history) {
      const t = Date.parse(h.time);
      if (t >= t0 && h.powerState === target && reached === undefined) reached = t;
    }
    if (vm.powerState === target) running++;
    if (reached === undefined) continue;
    last = Math.max(last, reached);
    const calledAt = (acceptedCalls.get(vm.id.toLowerCase()) ?? []).filter((t) => t <= reached).pop();
    if (calledAt !== undefined) slowestDrawn = Math.max(slowestDrawn, (reached - calledAt) / 1000);
  }
  let reads = 0;
  let writes = 0;
  let throttled = 0;
  let throttledWrites = 0;
  for (const r of log) {
    const write = r.method === "POST";
    if (r.method === "GET") reads++;
    if (write) writes++;
    if (r.status === 429) {
      throttled++;
      if (write) throttledWrites++;
    }
  }
  const lastRunningSeconds = Number.isFinite(last) ? (last - t0) / 1000 : undefined;
  return {
    running,
    wallSeconds: running === vms.length ? (lastRunningSeconds ?? 0) : undefined,
    lastRunningSeconds,
    reads,
    writes,
    throttled,
    throttledWrites,
    slowestDrawnSeconds: Number.isFinite(slowestDrawn) ? slowestDrawn : undefined,
    log,
  };
}

/** Linux: the process's peak resident set (VmHWM), MiB; undefined elsewhere or if it is gone. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Linux: user + system CPU seconds the process has used. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 (utime, stime) counted from 1 with pid; after "comm)" the list starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Errors by status/code in the log (for notes). */
export function statusSummary(log: RequestLogEntry[], operation?: string): string {
  const counts = new Map<string, number>();
  for (const r of log) {
    if (operation && r.operation !== operation) continue;
    const k = r.status === 429 ? `429(${r.throttledBy ?? "?"})` : String(r.status);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}×${n}`).join(", ");
}

/** Linux: pids of this process's children whose command line contains `needle` (e.g. Azurite). */
export function childPids(needle: string): number[] {
  const out: number[] = [];
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid !== process.pid) continue;
        if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) out.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/** When the accepted calls were sent: first, the 1,500th (the burst), and last, simulated seconds after t0. */
export function startSpan(log: RequestLogEntry[], t0: number, operation = "start"): string {
  const times = log.filter((r) => r.operation === operation && r.status === 202).map((r) => (Date.parse(r.time) - t0) / 1000).sort((a, b) => a - b);
  if (!times.length) return `no ${operation} accepted`;
  const at = (i: number) => (times[Math.min(i, times.length - 1)] ?? 0).toFixed(0);
  return `accepted ${operation}s sent from ${at(0)} s to ${at(times.length - 1)} s simulated (1,500th at ${at(1499)} s, 5,000th at ${at(4999)} s)`;
}

/**
 * For rows that post one request per resource group: when each resource group's first VM and last VM reached
 * the target, simulated seconds after t0 (how evenly concurrent requests shared the budget).
 */
export function arrivalPerResourceGroup(sim: ArmSimulator, t0: number, target: string, bodies: Record<string, unknown>[]): { resourceGroup: string; first: number; last: number }[] {
  const out: { resourceGroup: string; first: number; last: number }[] = [];
  for (const body of bodies) {
    const scope = (body.RequestScopes as { ResourceGroups?: string[] } | undefined)?.ResourceGroups?.[0];
    const m = scope && /\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(scope);
    if (!m) continue;
    const reached = sim.controlVms({ subscriptionId: m[1], resourceGroup: m[2] })
      .map((vm) => vm.history.find((h) => Date.parse(h.time) >= t0 && h.powerState === target))
      .filter((h): h is NonNullable<typeof h> => h !== undefined)
      .map((h) => (Date.parse(h.time) - t0) / 1000);
    if (reached.length) out.push({ resourceGroup: m[2]!, first: Math.min(...reached), last: Math.max(...reached) });
  }
  return out;
}

/**
 * A Sequenced row's hand-overs: for each group after the first, the simulated seconds from the previous group's last
 * VM reaching the target to this group's first accepted call (what the app adds to the sum of the groups' bounds).
 */
export function sequenceHandOvers(sim: ArmSimulator, log: RequestLogEntry[], t0: number, target: string, tag: string): number[] {
  const acceptedCalls = acceptedCallTimes(log, target);
  const firstCall = (vmId: string) => Math.min(...(acceptedCalls.get(vmId.toLowerCase()) ?? [Infinity]));
  const groups = new Map<number, { reached: number; firstCall: number }>();
  for (const vm of sim.controlVms()) {
    const value = Number(vm.tags[tag]);
    if (!Number.isInteger(value)) continue;
    const reached = vm.history.find((h) => Date.parse(h.time) >= t0 && h.powerState === target);
    const g = groups.get(value) ?? { reached: -Infinity, firstCall: Infinity };
    if (reached) g.reached = Math.max(g.reached, Date.parse(reached.time));
    g.firstCall = Math.min(g.firstCall, firstCall(vm.id));
    groups.set(value, g);
  }
  const ordered = [...groups].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  return ordered.slice(1).map((g, i) => (g.firstCall - ordered[i]!.reached) / 1000);
}
