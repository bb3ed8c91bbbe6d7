/**
 * Issue #24's savings row: GET /api/savings over a 30-day history of 10,000 VMs (stopped every evening and started
 * every morning by this app: 60 runs of 10,000 VMs), answered in a process of its own with the app's real adapters
 * against Azurite, the ARM simulator and the local Retail Prices API. Reports answer time, peak memory, storage reads,
 * ARM reads and price API calls, cold (empty price cache) and warm.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { REPO_ROOT, World } from "../src/local/world";
import { tableClient } from "../src/adapters/storageClients";
import { SAVINGS_HISTORY_TABLE, TableSavingsHistoryStore } from "../src/adapters/tableSavingsHistoryStore";
import type { HistoryEvent } from "../src/savings/history";

const SUBSCRIPTIONS = Array.from({ length: 5 }, (_, i) => `5a0a0a0a-0000-4000-8000-00000000000${i}`);
const SIZES = ["Standard_D2s_v5", "Standard_D4s_v5", "Standard_B2s", "Standard_E4s_v5"];
const DAY_MS = 86_400_000;

export interface SavingsBenchRun {
  label: string;
  seconds: number;
  /** CPU the answering process used (user + system): its own work, whatever else the machine runs. */
  cpuSeconds: number;
  vms: number;
  money: number;
  hours: number;
  historyReads: number;
  priceCacheReads: number;
  apiCalls: number;
  unpriced: number;
}

export interface SavingsBenchResult {
  vms: number;
  runsInHistory: number;
  runs: SavingsBenchRun[];
  armReads: number;
  priceApiCalls: number;
  peakMiB?: number;
}

export async function measureSavingsQuery(vmCount: number, log: (line: string) => void): Promise<SavingsBenchResult> {
  const perSub = Math.ceil(vmCount / SUBSCRIPTIONS.length);
  const fleet = {
    subscriptions: SUBSCRIPTIONS.map((subscriptionId, s) => ({
      subscriptionId,
      resourceGroups: SIZES.map((size, g) => ({
        name: `rg-${g}`, location: s % 2 === 0 ? "westeurope" : "northeurope",
        generate: [{ namePrefix: `vm-${g}-`, count: Math.ceil(perSub / SIZES.length), powerState: "deallocated", vmSize: size, osType: g === 1 ? "Windows" : "Linux" }],
      })),
    })),
  };
  const world = await World.start({ fleet, hosts: 0, limits: false });
  try {
    const vms = await world.vms();
    const now = world.armSimulator.now();
    const history = new TableSavingsHistoryStore(tableClient({ kind: "connectionString", connectionString: world.azurite.connectionString }, SAVINGS_HISTORY_TABLE));
    // 30 days: a stop run at 19:00 and a start run at 07:00, every VM verified stopped a minute after its run began.
    const firstDay = Math.floor((now - 31 * DAY_MS) / DAY_MS) * DAY_MS;
    let runs = 0;
    for (let d = 0; d <= 31; d++) {
      const day = firstDay + d * DAY_MS;
      for (const [hour, action] of [[7, "start"], [19, "stop"]] as const) {
        const createdAt = day + hour * 3_600_000;
        if (createdAt > now) continue;
        const requestId = `bench-${d}-${action}`;
        const events: HistoryEvent[] = [];
        for (const vm of vms) {
          const key = vm.id.toLowerCase();
          if (action === "stop") {
            events.push({ vmKey: key, time: createdAt + 5_000, kind: "seenRunning", requestId });
            events.push({ vmKey: key, time: createdAt + 60_000, kind: "stopped", requestId });
          } else events.push({ vmKey: key, time: createdAt + 5_000, kind: "started", requestId });
        }
        await history.append({ requestId, createdAt: new Date(createdAt) }, events);
        runs++;
      }
    }
    log(`savings: ${runs} runs of ${vms.length} VMs written to the history`);
    world.armSimulator.log.clear();
    const callsBefore = world.prices.model.calls.length;
    const results: Array<{ runs: SavingsBenchRun[]; peakMiB?: number }> = [];
    for (const label of ["cold", "warm"]) {
    const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [path.join(REPO_ROOT, "dist/bench/savingsOnce.js")], {
          env: { ...process.env, ...world.appSettings(), SAVINGS_CURRENCY: "EUR", BENCH_SAVINGS_TO_MS: String(Math.floor(now)), BENCH_SAVINGS_LABEL: label },
          maxBuffer: 16 * 1024 * 1024,
        }, (error, out, err) => {
          if (err.trim()) log(`savingsOnce: ${err.trim()}`);
          if (error) reject(new Error(`savingsOnce failed: ${err || error.message}`));
          else resolve(out);
        });
      });
      results.push(JSON.parse(stdout.trim().split("\n").pop()!));
    }
    const result = { runs: results.flatMap((r) => r.runs), peakMiB: Math.max(...results.map((r) => r.peakMiB ?? 0)) };
    const armReads = (await world.armRequests()).filter((r) => r.method === "GET").length;
    return { vms: vms.length, runsInHistory: runs, runs: result.runs, armReads, priceApiCalls: world.prices.model.calls.length - callsBefore, peakMiB: result.peakMiB };
  } finally {
    await world.stop();
  }
}

export function savingsMarkdown(r: SavingsBenchResult): string {
  const rows = r.runs.map((x) =>
    `| ${x.label} | ${x.seconds.toFixed(2)} s ${x.seconds < 5 ? "✓" : "✗"} | ${x.cpuSeconds.toFixed(2)} s | ${x.vms.toLocaleString("en-US")} | ${x.hours.toFixed(0)} h / € ${x.money.toFixed(2)} | ${x.historyReads} + ${x.priceCacheReads} | ${x.apiCalls} |`);
  return [
    `## Savings: GET /api/savings over 30 days × ${r.vms.toLocaleString("en-US")} VMs (issue #24)`,
    "",
    `${r.runsInHistory} runs in the history (a stop every evening, a start every morning). Peak memory of the process answering one query (VmHWM, the larger of the two): ` +
      `${r.peakMiB?.toFixed(0) ?? "?"} MiB (target < 256 MiB ${r.peakMiB !== undefined && r.peakMiB < 256 ? "✓" : "✗"}); ARM reads for both answers: ${r.armReads}; ` +
      `calls of the Retail Prices API for both: ${r.priceApiCalls}.`,
    "",
    "| price cache | answer time (target < 5 s) | CPU of the answering process | VMs counted | avoided | storage reads (history pages + price cache) | price API calls |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}
