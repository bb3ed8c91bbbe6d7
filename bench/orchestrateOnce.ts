/**
 * Child process of the "orchestrator alone" measurement: submits one start request for the subscriptions
 * in BENCH_SUBSCRIPTIONS and runs the orchestrator's whole job on it (expand, write every row, release
 * the act messages) with the app's real adapters, in a process that runs nothing else. Prints one JSON line.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseScheduledRequest } from "../src/domain/scheduledRequest";
import { orchestrate } from "../src/engine/orchestrate";
import { submitRequest } from "../src/engine/submitRequest";
import { engine } from "../src/functions/shared/runtime";

async function main(): Promise<void> {
  const subscriptions = JSON.parse(process.env.BENCH_SUBSCRIPTIONS ?? "[]") as string[];
  const parsed = parseScheduledRequest(
    { Action: "start", RequestScopes: { Subscriptions: subscriptions.map((s) => `/subscriptions/${s}/`) } },
    { maxScopeEntries: 1000 },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const deps = engine();
  const { record } = await submitRequest(deps, parsed.value);
  const started = performance.now();
  await orchestrate(deps, { requestId: record.requestId });
  const seconds = (performance.now() - started) / 1000;
  const after = await deps.store.getRequest(record.requestId);
  const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
  process.stdout.write(`${JSON.stringify({ seconds, vmCount: after?.vmCount, stage: after?.stage, peakMiB: hwm ? Number(hwm[1]) / 1024 : undefined })}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
