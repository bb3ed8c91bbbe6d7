/**
 * Child process of the savings row: answers GET /api/savings's query (the last 30 days, by resource group) twice with
 * the app's real adapters, once (the parent runs it twice: with an empty price cache, then warm). Prints one JSON line.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { savings } from "../src/functions/shared/runtime";
import { savingsReport } from "../src/savings/savingsService";

async function main(): Promise<void> {
  const deps = savings();
  const to = new Date(Number(process.env.BENCH_SAVINGS_TO_MS));
  const query = { from: new Date(to.getTime() - 30 * 86_400_000), to, groupBy: { kind: "resourceGroup" as const }, currency: "EUR" };
  const runs = [];
  let peak = { heapUsed: 0, external: 0, arrayBuffers: 0, rss: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) peak = { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
  }, 10);
  for (const label of [process.env.BENCH_SAVINGS_LABEL ?? "cold"]) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const answer = await savingsReport(deps, query);
    const used = process.cpuUsage(cpu);
    runs.push({
      label, seconds: (performance.now() - t) / 1000, cpuSeconds: (used.user + used.system) / 1e6, vms: answer.totals.vms, money: answer.totals.moneyAvoided, hours: answer.totals.hoursAvoided,
      historyReads: answer.cost.historyStorageReads, priceCacheReads: answer.prices.apiCalls + answer.prices.cacheHits, apiCalls: answer.prices.apiCalls,
      unpriced: answer.unpriced.length,
    });
  }
  clearInterval(sampler);
  if (process.env.SAVINGS_DEBUG) process.stderr.write(`peak sample MiB: ${JSON.stringify(Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)])))}\n`);
  const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
  process.stdout.write(`${JSON.stringify({ runs, peakMiB: hwm ? Number(hwm[1]) / 1024 : undefined })}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
