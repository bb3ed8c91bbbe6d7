/**
 * The app's rows: a fresh local world (Azurite, the ARM simulator with documented throttling, the app in one or
 * more local functions hosts), the row's `Scheduled` requests posted together (by default one start for every
 * subscription), the status API polled until every request is terminal.
 */
import { World } from "../src/local/world";
import type { FaultRuleInput } from "../src/local/arm-simulator";
import { clock } from "./report";
import { computeOnlyBoundSeconds, jointBoundSeconds, slowestOperationSeconds, type BenchFleet, type BenchOperation } from "./fleets";
import { childPids, cpuSeconds, arrivalPerResourceGroup, peakRssMiB, sequenceHandOvers, simFacts, statusSummary, startSpan, type RowResult } from "./metrics";

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
  /** Start (default) or deallocate; the fleet must start in the other state. */
  operation?: BenchOperation;
  /** `Scheduled` bodies posted at the same moment; default one request for every subscription of the fleet. */
  requests?: Record<string, unknown>[];
  /** Host instances working the queues (Flex Consumption scales out under load). */
  hosts?: number;
  /** Extra notes read from the finished world (before it stops), e.g. counts of outcomes. */
  afterRun?: (world: World, requestIds: string[]) => Promise<string[]>;
  log: (line: string) => void;
}

/** One `Scheduled` body per resource group of the fleet: one Logic App per team. */
export function requestPerResourceGroup(fleet: BenchFleet, action: "start" | "stop" = "start"): Record<string, unknown>[] {
  return fleet.resourceGroups.map((rg) => ({
    Action: action,
    RequestScopes: { ResourceGroups: [`/subscriptions/${rg.subscriptionId}/resourceGroups/${rg.name}/`] },
  }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = new Set(["Succeeded", "PartiallySucceeded", "Failed"]);

export async function runAppRow(o: AppRowOptions): Promise<RowResult> {
  const operation = o.operation ?? "start";
  const target = operation === "start" ? "running" : "deallocated";
  const tStar = jointBoundSeconds(o.fleet, { operation, notBeforeSeconds: o.notBeforeSeconds });
  const capSeconds = 3 * tStar + 600;
  const notes: string[] = [];
  const world = await World.start({ fleet: o.fleet.spec, timeScale: o.scale, settings: BENCH_APP_SETTINGS, seed: o.seed, hosts: o.hosts ?? 1 });
  try {
    const sim = world.armSimulator;
    for (const rule of o.faults ?? []) await world.sim("POST", "faults", rule);
    const bodies = o.requests ?? [{ Action: operation === "start" ? "start" : "stop", RequestScopes: { Subscriptions: o.fleet.subscriptions.map((s) => `/subscriptions/${s}/`) } }];
    const realStart = Date.now();
    const cpuAtStart = process.cpuUsage();
    const t0 = sim.now();
    const answers = await Promise.all(bodies.map((body) => world.callFunction("POST", "Scheduled", body)));
    const refused = answers.find((a) => a.status !== 202);
    if (refused) throw new Error(`Scheduled answered ${refused.status}: ${refused.text}`);
    const requestIds = answers.map((a) => a.body.requestId as string);
    o.log(`  ${o.key}: accepted ${requestIds.join(", ")}; T* ${Math.round(tStar)} s, cap ${Math.round(capSeconds)} s simulated`);

    let terminalSeconds: number | undefined;
    let requestState: string | undefined;
    let cappedAtSeconds: number | undefined;
    let lastStatusPoll = 0;
    let lastProgress = 0;
    const last = new Map<string, any>();
    const statusLatencies: number[] = [];
    const states = () => requestIds.map((id) => last.get(id)?.state ?? "?");
    for (;;) {
      const elapsed = (sim.now() - t0) / 1000;
      if (elapsed > capSeconds) {
        cappedAtSeconds = Math.round(elapsed);
        notes.push(`stopped at the time cap (3 × T* + 10 min = ${Math.round(capSeconds)} s simulated); requests still ${states().join(", ")}`);
        break;
      }
      const arrived = sim.controlVms({ powerState: target }).length;
      // The status API reads every VM row from Azurite: poll it rarely (it competes with the run for Azurite)
      // until the simulator shows every VM in its target state; the terminal time comes from each request's completedAt.
      const pollEveryMs = arrived === o.fleet.total ? 2000 : 30_000;
      if (Date.now() - lastStatusPoll >= pollEveryMs) {
        for (const id of requestIds) {
          if (TERMINAL.has(last.get(id)?.state)) continue;
          const asked = Date.now();
          const res = await world.callFunction("GET", `requests/${id}?top=1`);
          statusLatencies.push(Date.now() - asked);
          if (res.status === 200) last.set(id, res.body);
        }
        lastStatusPoll = Date.now();
        if (requestIds.every((id) => TERMINAL.has(last.get(id)?.state))) {
          const observed = (sim.now() - t0) / 1000;
          const completed = requestIds.map((id) => (last.get(id).completedAt ? (Date.parse(last.get(id).completedAt) - t0) / 1000 : observed));
          const latest = Math.max(...completed);
          terminalSeconds = latest > 0 && latest <= observed ? latest : observed;
          const distinct = [...new Set(states())];
          requestState = distinct.length === 1 ? distinct[0] : states().join(", ");
          break;
        }
      }
      if (Date.now() - lastProgress >= 15_000) {
        lastProgress = Date.now();
        o.log(`  ${o.key}: t=${Math.round(elapsed)} s sim, ${arrived}/${o.fleet.total} ${target}, requests ${states().join(", ")}`);
      }
      await sleep(500);
    }
    const realSeconds = (Date.now() - realStart) / 1000;
    const pids = world.hostPids();
    const hostPeakMiB = pids.map(peakRssMiB).reduce<number | undefined>((a, b) => (b === undefined ? a : (a ?? 0) + b), undefined);
    const hostCpuSeconds = pids.map(cpuSeconds).reduce<number | undefined>((a, b) => (b === undefined ? a : (a ?? 0) + b), undefined);
    const facts = simFacts(sim, t0, target);
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
    for (const [i, id] of requestIds.entries()) {
      const body = last.get(id);
      const which = requestIds.length > 1 ? `request ${i + 1} ` : "";
      if (body?.counts) notes.push(`${which}final counts ${JSON.stringify(body.counts)}`);
      if (body?.state && body.state !== "Succeeded" && body.message) notes.push(`${which}${String(body.message).slice(0, 300)}`);
      if (body?.counts?.Failed > 0) {
        const failed = await world.callFunction("GET", `requests/${id}?outcome=Failed&top=3`);
        for (const vm of failed.body?.vms ?? []) notes.push(`${which}failed VM ${vm.name}: ${vm.errorCode}: ${String(vm.errorMessage).slice(0, 200)}`);
      }
    }
    if (requestIds.length > 1) notes.push(`first and last VM in state per resource group (one request each): ${arrivalPerResourceGroup(sim, t0, target, bodies).map((a) => `${a.resourceGroup} ${clock(a.first)}–${clock(a.last)}`).join(", ")}`);
    notes.push(`${operation}s: ${statusSummary(facts.log, operation)}; ${startSpan(facts.log, t0, operation)}`);
    if (o.fleet.stages.length > 1) {
      const gaps = sequenceHandOvers(sim, facts.log, t0, target, operation === "start" ? "sequencestart" : "sequencestop");
      notes.push(`hand-over from a group's last VM in state to the next group's first call: ${gaps.map((g) => `${g.toFixed(0)} s`).join(", ")} (sum ${gaps.reduce((a, b) => a + b, 0).toFixed(0)} s)`);
    }
    notes.push(`executions by function: ${JSON.stringify(byFunction)}`);
    if (o.afterRun) notes.push(...(await o.afterRun(world, requestIds)));
    return {
      key: o.key,
      label: o.label,
      vms: o.fleet.total,
      scale: o.scale,
      tStarSeconds: tStar,
      computeOnlySeconds: computeOnlyBoundSeconds(o.fleet, { operation, notBeforeSeconds: o.notBeforeSeconds }),
      slowestConfiguredSeconds: slowestOperationSeconds(operation),
      slowestDrawnSeconds: facts.slowestDrawnSeconds,
      target,
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

/**
 * Issue #23's hibernate row, from the simulator's truth and the status API: how many VMs ended hibernated (the
 * instance view says HibernationState/Hibernated) or plainly deallocated, the accepted hibernate and deallocate calls,
 * and how many outcomes name the fallback.
 */
export async function hibernateNotes(world: World, requestIds: string[]): Promise<string[]> {
  const vms = world.armSimulator.controlVms();
  const hibernated = vms.filter((v) => v.hibernated).length;
  const deallocated = vms.filter((v) => v.powerState === "deallocated").length;
  const accepted = (op: string) => world.armSimulator.log.since(0).requests.filter((r) => r.operation === op && r.status === 202).length;
  let fallbacks = 0;
  let fallbacksNamed = 0;
  for (const id of requestIds) {
    for (const vm of await world.allOutcomes(id)) {
      if (vm.fallback?.code === "HibernateUnavailable") {
        fallbacks++;
        if (vm.fallback.message) fallbacksNamed++;
      }
    }
  }
  return [
    `hibernate: ${deallocated}/${vms.length} deallocated, ${hibernated} of them hibernated (HibernationState/Hibernated); ` +
      `accepted calls: ${accepted("hibernate")} hibernate, ${accepted("deallocate")} deallocate; ` +
      `${fallbacks} outcomes with fallback HibernateUnavailable, ${fallbacksNamed} of them with the reason`,
  ];
}
