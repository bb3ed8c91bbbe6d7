/**
 * What both baselines share: a fresh simulator with scenario 1's fleet (documented throttling on, no app
 * host), the official SDK client over HTTPS trusting the simulator's CA with a static token, a worker pool,
 * and the wait for the VMs that were accepted.
 */
import { ComputeManagementClient } from "@azure/arm-compute";
import type { TokenCredential } from "@azure/identity";
import { startArmSimulator, type RunningArmSimulator } from "../../src/local/arm-simulator";
import { computeOnlyBoundSeconds, jointBoundSeconds, slowestOperationSeconds, type BenchFleet } from "../fleets";
import { simFacts, statusSummary, startSpan, type RowResult } from "../metrics";

export interface BaselineOptions {
  fleet: BenchFleet;
  scale: number;
  concurrency: number;
  seed?: number;
  log: (line: string) => void;
}

export interface VmTarget {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** A fixed bearer token (the simulator only derives a principal name from it). */
export const staticCredential: TokenCredential = {
  async getToken() {
    return { token: "bench-baseline-client-token", expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

export function computeClient(sim: RunningArmSimulator, subscriptionId: string, retries: "none" | "sdkDefault"): ComputeManagementClient {
  return new ComputeManagementClient(staticCredential, subscriptionId, {
    endpoint: sim.url,
    tlsOptions: { ca: sim.caCertPem },
    ...(retries === "none" ? { retryOptions: { maxRetries: 0 } } : {}),
  });
}

export function targets(sim: RunningArmSimulator): VmTarget[] {
  return sim.simulator.controlVms().map((v) => ({ subscriptionId: v.subscriptionId, resourceGroup: v.resourceGroup, name: v.name }));
}

/** Runs `work` over `items` with at most `concurrency` in flight; stops taking new items once `stop()` is true. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BaselineRun {
  sim: RunningArmSimulator;
  t0: number;
  tStar: number;
  capSeconds: number;
  elapsed(): number;
}

export async function withBaselineSimulator(o: BaselineOptions, body: (run: BaselineRun) => Promise<{ notes: string[] }>, key: string, label: string): Promise<RowResult> {
  const sim = await startArmSimulator({ fleet: o.fleet.spec, timeScale: o.scale, seed: o.seed });
  try {
    const tStar = jointBoundSeconds(o.fleet);
    const capSeconds = 3 * tStar + 600;
    const realStart = Date.now();
    const t0 = sim.simulator.now();
    const run: BaselineRun = { sim, t0, tStar, capSeconds, elapsed: () => (sim.simulator.now() - t0) / 1000 };
    const { notes } = await body(run);
    // Nothing retries any more: wait until no VM is still starting (the accepted ones finish), within the cap.
    while (run.elapsed() <= capSeconds && sim.simulator.controlVms({ powerState: "starting" }).length > 0) await sleep(500);
    const realSeconds = (Date.now() - realStart) / 1000;
    const facts = simFacts(sim.simulator, t0);
    notes.push(`starts: ${statusSummary(facts.log, "start")}; ${startSpan(facts.log, t0)}`);
    const capped = run.elapsed() > capSeconds;
    if (capped) notes.push(`stopped at the time cap (${Math.round(capSeconds)} s simulated)`);
    return {
      key,
      label,
      vms: o.fleet.total,
      scale: o.scale,
      tStarSeconds: tStar,
      computeOnlySeconds: computeOnlyBoundSeconds(o.fleet),
      slowestConfiguredSeconds: slowestOperationSeconds("start"),
      slowestDrawnSeconds: facts.slowestDrawnSeconds,
      target: "running",
      wallSeconds: facts.wallSeconds,
      lastRunningSeconds: facts.lastRunningSeconds,
      cappedAtSeconds: capped ? Math.round(run.elapsed()) : undefined,
      running: facts.running,
      reads: facts.reads,
      writes: facts.writes,
      throttled: facts.throttled,
      throttledWrites: facts.throttledWrites,
      realSeconds,
      notes,
    };
  } finally {
    await sim.close();
  }
}

export function errorKey(error: unknown): string {
  const e = error as { statusCode?: number; code?: string; name?: string; message?: string };
  return `${e.statusCode ?? "-"} ${e.code ?? e.name ?? "error"}`;
}

export function countInto(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
