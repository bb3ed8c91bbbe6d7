/**
 * The app's rows: a fresh local world (Azurite, the ARM simulator with documented throttling, the app in the
 * local functions host), one `Scheduled` start for every subscription, the status API polled until terminal.
 */
import { World } from "../src/local/world";
import type { FaultRuleInput } from "../src/local/arm-simulator";
import { bothBucketsBoundSeconds, lowerBoundSeconds, type BenchFleet } from "./fleets";
import { childPids, cpuSeconds, peakRssMiB, simFacts, statusSummary, startSpan, type RowResult } from "./metrics";

/** Production timings in the app's (simulated) seconds. */
export const BENCH_APP_SETTINGS: Record<string, string> = {
  VERIFY_INTERVAL_SECONDS: "15",
  STALL_GRACE_SECONDS: "300",
  RETRY_BASE_SECONDS: "5",
  RETRY_MAX_SECONDS: "300",
  CAPACITY_RETRY_BASE_SECONDS: "60",
  CAPACITY_RETRY_MAX_SECONDS: "900",
  REQUEST_DEADLINE_MINUTES: "120",
};

export const OUTAGE_SECONDS = 600;

export function scenario3Faults(outageCode: string): FaultRuleInput[] {
  return [
    {
      match: { operation: "start", osType: "Windows" },
      effect: {
        type: "operationFails",
        code: outageCode,
        message: "VM has reported a failure when processing extension 'VMAccessAgent' (VM agent extension not found). Simulated regional outage of Windows VM operations.",
      },
      window: { startsAfterSeconds: 0, durationSeconds: OUTAGE_SECONDS },
    },
    {
      match: { operation: "start" },
      effect: { type: "http", status: 500, code: "InternalServerError", message: "An internal execution error occurred. Please retry later." },
      probability: 0.03,
    },
  ];
}

export interface AppRowOptions {
  key: string;
  label: string;
  fleet: BenchFleet;
  scale: number;
  faults?: FaultRuleInput[];
  /** VMs that cannot start before this simulated second (an outage), for T*. */
  notBeforeSeconds?: number;
  seed?: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(["Succeeded", "PartiallySucceeded", "Failed"]);

export async function runAppRow(o: AppRowOptions): Promise<RowResult> {
  const tStar = lowerBoundSeconds(o.fleet, o.notBeforeSeconds);
  const capSeconds = 3 * tStar + 600;
  const notes: string[] = [];
  const world = await World.start({ fleet: o.fleet.spec, timeScale: o.scale, settings: BENCH_APP_SETTINGS, seed: o.seed });
  try {
    const sim = world.armSimulator;
    for (const rule of o.faults ?? []) await world.sim("POST", "faults", rule);
    const realStart = Date.now();
    const cpuAtStart = process.cpuUsage();
    const t0 = sim.now();
    const accepted = await world.callFunction("POST", "Scheduled", {
      Action: "start",
      RequestScopes: { Subscriptions: o.fleet.subscriptions.map((s) => `/subscriptions/${s}/`) },
    });
    if (accepted.status !== 202) throw new Error(`Scheduled answered ${accepted.status}: ${accepted.text}`);
    const requestId = accepted.body.requestId as string;
    o.log(`  ${o.key}: accepted ${requestId}; T* ${Math.round(tStar)} s, cap ${Math.round(capSeconds)} s simulated`);

    let terminalSeconds: number | undefined;
    let requestState: string | undefined;
    let cappedAtSeconds: number | undefined;
    let lastStatusPoll = 0;
    let lastProgress = 0;
    let last: any;
    const statusLatencies: number[] = [];
    for (;;) {
      const elapsed = (sim.now() - t0) / 1000;
      if (elapsed > capSeconds) {
        cappedAtSeconds = Math.round(elapsed);
        notes.push(`stopped at the time cap (3 × T* + 10 min = ${Math.round(capSeconds)} s simulated); request still ${requestState ?? "?"}`);
        break;
      }
      const running = sim.controlVms({ powerState: "running" }).length;
      // The status API reads every VM row from Azurite: poll it rarely (it competes with the run for Azurite)
      // until the simulator shows every VM running; the terminal time comes from the request's completedAt.
      const pollEveryMs = running === o.fleet.total ? 2000 : 30_000;
      if (Date.now() - lastStatusPoll >= pollEveryMs) {
        const asked = Date.now();
        const res = await world.callFunction("GET", `requests/${requestId}?top=1`);
        lastStatusPoll = Date.now();
        statusLatencies.push(lastStatusPoll - asked);
        if (res.status === 200) {
          last = res.body;
          requestState = res.body.state;
          if (TERMINAL.has(res.body.state)) {
            const observed = (sim.now() - t0) / 1000;
            const completed = res.body.completedAt ? (Date.parse(res.body.completedAt) - t0) / 1000 : undefined;
            terminalSeconds = completed !== undefined && completed > 0 && completed <= observed ? completed : observed;
            break;
          }
        }
      }
      if (Date.now() - lastProgress >= 15_000) {
        lastProgress = Date.now();
        o.log(`  ${o.key}: t=${Math.round(elapsed)} s sim, ${running}/${o.fleet.total} running, request ${requestState ?? "?"} ${JSON.stringify(last?.counts ?? {})}`);
      }
      await sleep(500);
    }
    const realSeconds = (Date.now() - realStart) / 1000;
    const pids = world.hostPids();
    const hostPeakMiB = pids.map(peakRssMiB).reduce<number | undefined>((a, b) => (b === undefined ? a : (a ?? 0) + b), undefined);
    const hostCpuSeconds = pids.map(cpuSeconds).reduce<number | undefined>((a, b) => (b === undefined ? a : (a ?? 0) + b), undefined);
    const facts = simFacts(sim, t0);
    const byFunction: Record<string, number> = {};
    let executions = 0;
    for (const [fn, stats] of world.invocationStats()) {
      const n = stats.succeeded + stats.failed;
      byFunction[fn] = n;
      if (fn !== "RequestStatus") executions += n;
      if (stats.failed > 0) notes.push(`${stats.failed} failed ${fn} invocation(s)`);
    }
    const orchestratorMs = world.invocationStats().get("VirtualMachineRequestOrchestrator")?.durationsMs ?? [];
    if (statusLatencies.length) notes.push(`status API (GET requests/{id}?top=1, reads every VM row): ${statusLatencies.length} calls, slowest ${(Math.max(...statusLatencies) / 1000).toFixed(1)} s real`);
    const azuriteCpu = childPids("azurite").map(cpuSeconds).reduce<number>((a, b) => a + (b ?? 0), 0);
    const benchCpu = process.cpuUsage();
    notes.push(
      `CPU over ${realSeconds.toFixed(0)} s real: host ${hostCpuSeconds?.toFixed(0) ?? "?"} s, Azurite ${azuriteCpu.toFixed(0)} s, ` +
        `benchmark + simulator process ${((benchCpu.user + benchCpu.system) / 1e6 - (cpuAtStart.user + cpuAtStart.system) / 1e6).toFixed(0)} s`,
    );
    if (last?.counts) notes.push(`final counts ${JSON.stringify(last.counts)}`);
    if (last?.state && last.state !== "Succeeded" && last.message) notes.push(`request: ${String(last.message).slice(0, 300)}`);
    if (last?.counts?.Failed > 0) {
      const failed = await world.callFunction("GET", `requests/${requestId}?outcome=Failed&top=3`);
      for (const vm of failed.body?.vms ?? []) notes.push(`failed VM ${vm.name}: ${vm.errorCode}: ${String(vm.errorMessage).slice(0, 200)}`);
    }
    notes.push(`starts: ${statusSummary(facts.log, "start")}; ${startSpan(facts.log, t0)}`);
    notes.push(`executions by function: ${JSON.stringify(byFunction)}`);
    return {
      key: o.key,
      label: o.label,
      vms: o.fleet.total,
      scale: o.scale,
      tStarSeconds: tStar,
      bothBoundsSeconds: bothBucketsBoundSeconds(o.fleet, o.notBeforeSeconds),
      wallSeconds: facts.wallSeconds,
      lastRunningSeconds: facts.lastRunningSeconds,
      terminalSeconds,
      requestState,
      cappedAtSeconds,
      running: facts.running,
      reads: facts.reads,
      writes: facts.writes,
      throttled: facts.throttled,
      throttledWrites: facts.throttledWrites,
      executions,
      executionsByFunction: byFunction,
      orchestratorMs,
      hostPeakMiB,
      hostCpuSeconds,
      realSeconds,
      notes,
    };
  } finally {
    await world.stop();
  }
}
