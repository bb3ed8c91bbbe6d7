/**
 * The issue's orchestrator target (10,000 VMs expanded in < 30 s and < 256 MB), measured directly: the
 * orchestrator's job in a process of its own against a fresh local world, in real time (no compression),
 * so its memory is not mixed with the executors' and the host's.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { REPO_ROOT, World } from "../src/local/world";
import type { BenchFleet } from "./fleets";
import { BENCH_APP_SETTINGS } from "./scenarios";

export interface OrchestratorAloneResult {
  vms: number;
  seconds: number;
  peakMiB?: number;
}

export async function measureOrchestratorAlone(fleet: BenchFleet, seed: number): Promise<OrchestratorAloneResult> {
  const world = await World.start({ fleet: fleet.spec, hosts: 0, settings: BENCH_APP_SETTINGS, seed });
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [path.join(REPO_ROOT, "dist/bench/orchestrateOnce.js")], {
        env: { ...process.env, ...world.appSettings(), BENCH_SUBSCRIPTIONS: JSON.stringify(fleet.subscriptions) },
        maxBuffer: 16 * 1024 * 1024,
      }, (error, out, err) => (error ? reject(new Error(`orchestrateOnce failed: ${err || error.message}`)) : resolve(out)));
    });
    const result = JSON.parse(stdout.trim().split("\n").pop()!) as { seconds: number; vmCount: number; stage: string; peakMiB?: number };
    if (result.stage !== "released" || result.vmCount !== fleet.total) {
      throw new Error(`the orchestrator left the request at ${result.stage} with ${result.vmCount} of ${fleet.total} VMs`);
    }
    return { vms: result.vmCount, seconds: result.seconds, peakMiB: result.peakMiB };
  } finally {
    await world.stop();
  }
}
