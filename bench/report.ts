/** The benchmark's markdown: one table, a targets line per row, notes; written to a file and the README. */
import { readFileSync, writeFileSync } from "node:fs";
import type { RowResult } from "./metrics";

/** A row's targets, from the issue that set them. */
export interface RowTargets {
  issue: string;
  /** Wall time ≤ ratio × T* (the joint bound). */
  ratio?: number;
  writesPerVm?: number;
  readsPerVm?: number;
  /** 429s as a share of writes. */
  throttledShare?: number;
  orchestratorSeconds?: number;
}

/** Issue #4's targets for scenarios 1–3 (3 has no time target: its outage sets the pace). */
export const ISSUE_4_TARGETS = { ratio: 1.1, writesPerVm: 1.05, readsPerVm: 0.25, throttledShare: 0.01, orchestratorSeconds: 30 };
export const ORCHESTRATOR_MIB = 256;

export function clock(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const num = (n: number | undefined, digits = 2) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits));
const mark = (ok: boolean) => (ok ? "✓" : "✗");

function wall(r: RowResult): string {
  if (r.wallSeconds !== undefined) return clock(r.wallSeconds);
  // Not every VM got there: say how far it got and when it stopped.
  return `— (last at ${clock(r.lastRunningSeconds)}${r.cappedAtSeconds !== undefined ? `, cap ${clock(r.cappedAtSeconds)}` : ""})`;
}

export function table(rows: RowResult[]): string {
  const head = [
    "row", "VMs", "time scale", "wall time (sim)", "requests terminal", "T* (joint bound)", "ratio to T*", "Compute-only bound",
    "slowest op: configured / drawn", "VMs in target state", "429s (% of writes)", "ARM reads / VM", "ARM writes / VM",
    "function executions / VM", "host peak memory", "real time",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const pct = r.writes ? ((100 * r.throttled) / r.writes).toFixed(2) : "—";
    lines.push(`| ${[
      r.label,
      r.vms.toLocaleString("en-US"),
      `${r.scale}×`,
      wall(r),
      r.terminalSeconds !== undefined ? `${clock(r.terminalSeconds)} ${r.requestState ?? ""}`.trim() : r.requestState ?? "n/a",
      clock(r.tStarSeconds),
      r.wallSeconds !== undefined ? num(r.wallSeconds / r.tStarSeconds) : "—",
      clock(r.computeOnlySeconds),
      `${clock(r.slowestConfiguredSeconds)} / ${clock(r.slowestDrawnSeconds)}`,
      `${r.running.toLocaleString("en-US")} (${((100 * r.running) / r.vms).toFixed(1)}%)`,
      `${r.throttled.toLocaleString("en-US")} (${pct}%)`,
      num(r.reads / r.vms),
      num(r.writes / r.vms),
      r.executions !== undefined ? num(r.executions / r.vms) : "n/a",
      r.hostPeakMiB !== undefined ? `${Math.round(r.hostPeakMiB)} MiB` : "n/a",
      `${Math.round(r.realSeconds)} s`,
    ].join(" | ")} |`);
  }
  return lines.join("\n");
}

export function targetsLine(r: RowResult, t: RowTargets): string {
  const parts: string[] = [];
  parts.push(`100% in target ${mark(r.running === r.vms)}`);
  if (t.ratio !== undefined) {
    const ratio = r.wallSeconds !== undefined ? r.wallSeconds / r.tStarSeconds : undefined;
    parts.push(`≤ ${t.ratio.toFixed(2)} × T* ${mark(ratio !== undefined && ratio <= t.ratio)}${ratio !== undefined ? ` (${ratio.toFixed(2)})` : ""}`);
  }
  if (t.writesPerVm !== undefined) parts.push(`≤ ${t.writesPerVm} writes/VM ${mark(r.writes / r.vms <= t.writesPerVm)} (${(r.writes / r.vms).toFixed(3)})`);
  if (t.readsPerVm !== undefined) parts.push(`≤ ${t.readsPerVm} reads/VM ${mark(r.reads / r.vms <= t.readsPerVm)}`);
  if (t.throttledShare !== undefined) parts.push(`429s ≤ ${100 * t.throttledShare}% of writes ${mark(r.writes > 0 && r.throttled / r.writes <= t.throttledShare)}`);
  if (t.orchestratorSeconds !== undefined && r.orchestratorMs !== undefined) {
    const total = r.orchestratorMs.reduce((a, b) => a + b, 0) / 1000;
    const n = r.orchestratorMs.length;
    parts.push(`orchestrator < ${t.orchestratorSeconds} s ${mark(n > 0 && total < t.orchestratorSeconds)} (${n} invocation${n === 1 ? "" : "s"}, ${total.toFixed(1)} s)`);
  }
  return `- **${r.label}** (${t.issue}): ${parts.join(" · ")}`;
}

export interface ReportContext {
  date: string;
  cores: number;
  memoryGiB: number;
  node: string;
  commit?: string;
  command: string;
  globalNotes: string[];
}

/** The orchestrator's job in a process of its own (bench/orchestratorAlone.ts). */
export interface OrchestratorAloneLine {
  label: string;
  vms: number;
  seconds: number;
  peakMiB?: number;
}

function orchestratorLine(o: OrchestratorAloneLine): string {
  const mb = o.peakMiB !== undefined ? o.peakMiB * 1.048576 : undefined;
  const seconds = ISSUE_4_TARGETS.orchestratorSeconds;
  return (
    `- **orchestrator alone, ${o.label}** (#4): ${o.vms.toLocaleString("en-US")} VMs expanded, written and released in ` +
    `${o.seconds.toFixed(1)} s ${mark(o.seconds < seconds)} (< ${seconds} s) · ` +
    `peak memory ${o.peakMiB !== undefined ? `${Math.round(o.peakMiB)} MiB` : "?"} ${mark(mb !== undefined && mb < ORCHESTRATOR_MIB)} (< ${ORCHESTRATOR_MIB} MB)`
  );
}

/** Targets per row key; rows without an entry (the baselines) have none. */
export function markdown(rows: RowResult[], ctx: ReportContext, targets: Record<string, RowTargets>, orchestrator: OrchestratorAloneLine[] = []): string {
  const out: string[] = [];
  out.push(
    `Run ${ctx.date} · \`${ctx.command}\` · ` +
      `${ctx.cores} cores, ${ctx.memoryGiB.toFixed(0)} GiB, Node ${ctx.node}${ctx.commit ? ` · commit ${ctx.commit}` : ""}`,
  );
  out.push("");
  out.push(table(rows));
  out.push("");
  out.push("Targets:");
  out.push("");
  for (const o of orchestrator) out.push(orchestratorLine(o));
  for (const r of rows) if (targets[r.key]) out.push(targetsLine(r, targets[r.key]!));
  out.push("");
  out.push("Notes:");
  out.push("");
  for (const n of ctx.globalNotes) out.push(`- ${n}`);
  for (const r of rows) for (const n of r.notes) out.push(`- ${r.label}: ${n}`);
  return out.join("\n") + "\n";
}

export function writeResults(path: string, title: string, body: string): void {
  writeFileSync(path, `# ${title}\n\n${body}`);
}

/** Replaces the README section between the bench markers (adding a Benchmark section if absent). */
export function updateReadme(readmePath: string, body: string): void {
  let text = readFileSync(readmePath, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  if (!text.includes(start) || !text.includes(end)) {
    const section =
      "## Benchmark\n\n" +
      "`npm run bench` starts, for each row, a fresh local world (Azurite, the ARM simulator with Azure's documented " +
      "throttling limits and log-normal start times of 30–180 s, the app in the local functions host), posts one " +
      "`Scheduled` start and measures from the simulator's own VM histories and request log. The baselines run the " +
      "official SDK against the same simulator. Options: `--scale <n>` or `--scale <row>=<n>,...` (defaults 1=3,2=1,3=3,v2=10,naive=10), `--vms <n>` (default 10000), " +
      "`--only 1,2,3,v2,naive`, `--out <file>`, `--no-readme`. Last full run:\n\n" +
      `${start}\n${end}\n\n`;
    const anchor = text.indexOf("## Dependencies");
    text = anchor >= 0 ? text.slice(0, anchor) + section + text.slice(anchor) : `${text.trimEnd()}\n\n${section}`;
  }
  const a = text.indexOf(start) + start.length;
  const b = text.indexOf(end);
  writeFileSync(readmePath, `${text.slice(0, a)}\n${body.trimEnd()}\n${text.slice(b)}`);
}
