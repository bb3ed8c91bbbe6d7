/**
 * `npm run bench:schedules`: the ScheduleEvaluator over 10,000 tagged VMs (issue #22's row). 10 subscriptions × 2
 * regions (a resource group each, 500 VMs), the groups tagged with three schedules, mon-fri 08:00-19:00 in
 * Asia/Tokyo, Europe/Berlin and America/New_York. The app's own evaluator (composed from settings, as the timer runs
 * it: tables on Azurite, the Compute and Resources clients against the simulator, submitRequest into the real
 * queues) ticks once a simulated minute from 07:55 in Tokyo to 08:01 in New York (a Monday).
 *
 * Measured per tick: the evaluator's time and the process's heap, the ARM reads it made (the simulator's request log),
 * and what it submitted: which VMs, at which tick, against each zone's 08:00. The engine's hosts are not running here,
 * so the requests are accepted and queued but not carried out: how fast "all running" follows is the engine's
 * row 2 (10,000 VMs over 20 subscriptions × 2 regions) in the main benchmark, not measured again here.
 *
 *   node dist/bench/schedules.js [--out bench/results/schedules.md]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startAzurite } from "../src/local/azurite";
import { startArmSimulator, type FleetSpec } from "../src/local/arm-simulator/index";
import { transitionsBetween } from "../src/schedules/evaluate";
import { parseSchedule } from "../src/schedules/schedule";
import { putSchedule } from "../src/schedules/scheduleApi";

const SUBS = Array.from({ length: 10 }, (_, i) => `5c0ede00-0000-4000-8000-${String(i + 1).padStart(12, "0")}`);
const REGIONS = ["westeurope", "eastus"];
const PER_GROUP = 500;
const ZONES = [
  { schedule: "tokyo", timezone: "Asia/Tokyo" },
  { schedule: "berlin", timezone: "Europe/Berlin" },
  { schedule: "newyork", timezone: "America/New_York" },
];
const FROM = Date.parse("2026-03-01T22:55:00Z"); // Monday 07:55 in Tokyo
const TO = Date.parse("2026-03-02T13:01:00Z"); // Monday 08:01 in New York

/** Heap before the first tick: the simulator's 10,000 VMs (in this process) and the loaded SDKs. */
let baselineHeapMiB = 0;

interface Tick {
  at: string;
  ms: number;
  heapMiB: number;
  reads: number;
  requests: { schedule: string; action: string; vms: number }[];
  phases: Record<string, number>;
}

async function main(): Promise<void> {
  const out = process.argv.includes("--out") ? process.argv[process.argv.indexOf("--out") + 1]! : "bench/results/schedules.md";
  const groups: { sub: string; rg: string; schedule: string }[] = [];
  const fleet: FleetSpec = {
    subscriptions: SUBS.map((sub, s) => ({
      subscriptionId: sub,
      resourceGroups: REGIONS.map((location, r) => {
        const schedule = ZONES[(s * REGIONS.length + r) % ZONES.length]!.schedule;
        groups.push({ sub, rg: `rg-${location}`, schedule });
        return { name: `rg-${location}`, location, tags: { "startstop-schedule": schedule }, generate: [{ namePrefix: `vm-${r}-`, count: PER_GROUP, powerState: "deallocated" as const }] };
      }),
    })),
  };
  const dir = mkdtempSync(path.join(tmpdir(), "ssv-bench-schedules-"));
  const azurite = await startAzurite();
  const sim = await startArmSimulator({ fleet, caOut: path.join(dir, "ca.pem"), limits: undefined });
  try {
    Object.assign(process.env, {
      AzureWebJobsStorage: azurite.connectionString, ARM_ENDPOINT: sim.url, ARM_CA_CERT_PATH: path.join(dir, "ca.pem"),
      TARGET_SCOPES: SUBS.map((s) => `/subscriptions/${s}`).join(","), SCHEDULE_INVENTORY_MINUTES: "5",
    });
    const runtime = require("../src/functions/shared/runtime") as typeof import("../src/functions/shared/runtime");
    for (const z of ZONES) await putSchedule(runtime.scheduleStore(), z.schedule, { timezone: z.timezone, periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] }, new Date(FROM));
    const evaluator = runtime.buildScheduleEvaluator();
    const ticks: Tick[] = [];
    baselineHeapMiB = process.memoryUsage().heapUsed / 2 ** 20;
    let seq = sim.simulator.log.since(0).lastSeq;
    const quick = process.argv.includes("--quick");
    const near = (t: number) => [Date.parse("2026-03-01T23:00:00Z"), Date.parse("2026-03-02T07:00:00Z"), Date.parse("2026-03-02T13:00:00Z")].some((x) => t >= x - 5 * 60_000 && t <= x + 60_000);
    for (let t = FROM; t <= TO; t += 60_000) {
      if (quick && !near(t)) continue;
      const started = performance.now();
      const report = await evaluator.tick(new Date(t));
      const ms = performance.now() - started;
      const log = sim.simulator.log.since(seq);
      seq = log.lastSeq;
      if (report.failed.length > 0) throw new Error(`tick ${new Date(t).toISOString()} failed: ${report.failed.join("; ")}`);
      ticks.push({ at: report.at, ms, heapMiB: process.memoryUsage().heapUsed / 2 ** 20, reads: log.requests.filter((r) => r.method === "GET").length, requests: report.requests.map((r) => ({ schedule: r.schedule, action: r.action, vms: r.vms })), phases: report.phases });
      if (report.requests.length > 0 || t === FROM) process.stderr.write(`${report.at}: ${Math.round(ms)} ms ${JSON.stringify(report.phases)}\n`);
    }
    writeFileSync(out, report(ticks, groups));
    process.stdout.write(report(ticks, groups));
  } finally {
    await sim.close();
    await azurite.stop();
  }
}

function report(ticks: Tick[], groups: { schedule: string }[]): string {
  const vms = groups.length * PER_GROUP;
  const steady = ticks.slice(1);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const readsPerTick = avg(steady.map((t) => t.reads));
  const lines = [
    "# Schedules: the ScheduleEvaluator over 10,000 tagged VMs",
    "",
    `${vms.toLocaleString("en-US")} VMs in ${SUBS.length} subscriptions × ${REGIONS.length} regions, groups tagged with 3 schedules (mon-fri 08:00-19:00 in Tokyo, Berlin, New York); one tick per simulated minute from ${new Date(FROM).toISOString()} to ${new Date(TO).toISOString()} (${ticks.length} ticks). \`npm run bench:schedules\`.`,
    "",
    "| zone | 08:00 local (UTC) | tick that submitted | VMs submitted / tagged | requests | acted outside the schedule |",
    "|---|---|---|---|---|---|",
  ];
  for (const z of ZONES) {
    const parsed = parseSchedule({ name: z.schedule, timezone: z.timezone, periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] });
    if (!parsed.ok) throw new Error("bench schedule invalid");
    const transitions = transitionsBetween(parsed.schedule, new Date(FROM), new Date(TO + 1));
    const start = transitions.find((t) => t.state === "running")!;
    const tagged = groups.filter((g) => g.schedule === z.schedule).length * PER_GROUP;
    const submitting = ticks.filter((t) => t.requests.some((r) => r.schedule === z.schedule));
    const atStart = submitting.filter((t) => t.at === start.at.toISOString());
    // Acted outside the schedule: a request at a tick that is not one of the schedule's transitions, or for the other action.
    const outside = submitting.flatMap((t) => t.requests.filter((r) => r.schedule === z.schedule && !transitions.some((x) => x.at.toISOString() === t.at && (x.state === "running" ? "start" : "stop") === r.action))).reduce((n, r) => n + r.vms, 0);
    const submitted = atStart.flatMap((t) => t.requests.filter((r) => r.schedule === z.schedule && r.action === "start")).reduce((n, r) => n + r.vms, 0);
    const requests = atStart.flatMap((t) => t.requests.filter((r) => r.schedule === z.schedule)).length;
    lines.push(`| ${z.timezone} | ${start.local} (${start.at.toISOString().slice(11, 16)}) | ${atStart.length === 1 ? "the transition's own" : `${submitting.length} ticks`} | ${submitted.toLocaleString("en-US")} / ${tagged.toLocaleString("en-US")} (${((100 * submitted) / tagged).toFixed(0)} %) | ${requests} | ${outside} |`);
  }
  const maxMs = Math.max(...steady.map((t) => t.ms));
  const transitionMs = Math.max(...steady.filter((t) => t.requests.length > 0).map((t) => t.ms));
  lines.push(
    "",
    "| measure | value | target |",
    "|---|---|---|",
    `| first tick (cold: every subscription listed, 10,000 states written) | ${Math.round(ticks[0]!.ms)} ms, ${ticks[0]!.reads} ARM reads | — |`,
    `| tick time, steady: median / max / a transition tick | ${Math.round([...steady.map((t) => t.ms)].sort((a, b) => a - b)[Math.floor(steady.length / 2)]!)} ms / ${Math.round(maxMs)} ms / ${Math.round(transitionMs)} ms | < 10 s ${maxMs < 10_000 ? "✓" : "✗"} |`,
    `| heap used by the evaluator (max over the ticks, above the ${Math.round(baselineHeapMiB)} MiB the in-process simulator and SDKs hold before the first) | ${Math.round(Math.max(...ticks.map((t) => t.heapMiB)) - baselineHeapMiB)} MiB | < 256 MB ${Math.max(...ticks.map((t) => t.heapMiB)) - baselineHeapMiB < 244 ? "✓" : "✗"} |`,
    `| ARM reads per tick (steady, mean / max) | ${readsPerTick.toFixed(1)} / ${Math.max(...steady.map((t) => t.reads))} (1 per ${Math.round(vms / readsPerTick)} VMs) | ≤ 1 per 500 VMs ${vms / readsPerTick >= 500 ? "✓" : "✗"} |`,
    `| ARM reads per VM per day | ${((readsPerTick * 1440) / vms).toFixed(2)} | — |`,
    "",
    "The engine's hosts are not running in this row: its requests are accepted and queued, not carried out, so the ratio of \"all running\" to the joint bound per zone is the engine's (row 2 of the main benchmark: 10,000 VMs over 20 subscriptions × 2 regions, 1.03 × T*), not measured here.",
    "",
  );
  return lines.join("\n");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
