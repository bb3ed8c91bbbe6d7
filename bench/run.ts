/**
 * `npm run bench`: the benchmark of issues #4 and #12. Each row runs in a fresh simulator (and, for the app's rows,
 * a fresh Azurite and host(s)), one after the other, and the table goes to stdout, a results file and the README.
 *
 *   node dist/bench/run.js [--scale <n> | --scale 1=3,2=1,...] [--vms 10000] [--only orch,sim,1,2,3,4,5,6,7,h,v2,naive] [--out bench/results/latest.md]
 *     [--no-readme] [--seed 1] [--concurrency 200] [--outage-code VMExtensionProvisioningError]
 *
 * Time scale per row: compressing time makes the app's own work (storage, CPU) look that many times slower
 * against the platform, so each row runs at the lowest scale that keeps it within minutes. Scenario 2's
 * bound is 3 minutes, so it runs in real time.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../src/local/world";
import { computeOnlyBoundSeconds, hibernateFleet, jointBoundSeconds, manyRegionsFleet, oneRegionFleet } from "./fleets";
import type { RowResult } from "./metrics";
import { ISSUE_4_TARGETS, markdown, updateReadme, writeResults, type OrchestratorAloneLine, type RowTargets } from "./report";
import { measureOrchestratorAlone } from "./orchestratorAlone";
import { OUTAGE_SECONDS, hibernateNotes, requestPerResourceGroup, runAppRow, scenario3Faults } from "./scenarios";
import { runV2Like } from "./baselines/v2Like";
import { runNaiveSdk } from "./baselines/naiveSdk";
import { measureSimulatorSpeed, simulatorSpeedMarkdown } from "./simulatorSpeed";
import { measureSavingsQuery, savingsMarkdown } from "./savingsQuery";

type RowKey = "1" | "2" | "3" | "4" | "5" | "6" | "7" | "h" | "v2" | "naive" | "orch" | "sim" | "savings";

/** Simulated seconds per real second, per row ("orch", the orchestrator alone, always runs in real time). */
const DEFAULT_SCALES: Record<RowKey, number> = { "1": 3, "2": 1, "3": 3, "4": 3, "5": 3, "6": 3, "7": 5, h: 3, v2: 10, naive: 10, orch: 1, sim: 1, savings: 1 };

/** Issue #12's targets: concurrent requests on 3 instances, and every other row of it. */
const ISSUE_12_CONCURRENT: RowTargets = { issue: "#12", ratio: 1.1, throttledShare: 0.01, writesPerVm: 1.02 };
const ISSUE_12_OTHER: RowTargets = { issue: "#12", ratio: 1.05 };

const TARGETS: Record<string, RowTargets> = {
  "1": { issue: "#4", ...ISSUE_4_TARGETS },
  "2": { issue: "#4", ...ISSUE_4_TARGETS },
  "3": { issue: "#4", ...ISSUE_4_TARGETS, ratio: undefined },
  "4": ISSUE_12_CONCURRENT,
  "5": ISSUE_12_OTHER,
  "6": ISSUE_12_OTHER,
  "7": ISSUE_12_OTHER,
  h: { issue: "#23", ratio: 1.05 },
};

interface Cli {
  scales: Record<RowKey, number>;
  vms: number;
  only: string[];
  out: string;
  readme: boolean;
  seed: number;
  concurrency: number;
  outageCode: string;
}

const ALL_ROWS: RowKey[] = ["orch", "sim", "1", "2", "3", "4", "5", "6", "7", "h", "v2", "naive", "savings"];

function parseArgs(argv: string[]): Cli {
  const cli: Cli = {
    scales: { ...DEFAULT_SCALES },
    vms: 10_000,
    only: ALL_ROWS,
    out: "bench/results/latest.md",
    readme: true,
    seed: 1,
    concurrency: 200,
    outageCode: "VMExtensionProvisioningError",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    const positive = (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${arg} must be a positive number (got "${v}")`);
      return n;
    };
    switch (arg) {
      case "--scale": {
        const text = value();
        if (!text.includes("=")) {
          const scale = positive(text);
          for (const key of ALL_ROWS) cli.scales[key] = scale;
          break;
        }
        for (const pair of text.split(",")) {
          const [key, scale] = pair.split("=").map((part) => part.trim());
          if (!ALL_ROWS.includes(key as RowKey)) throw new Error(`--scale takes <n> or <row>=<n>,... with rows ${ALL_ROWS.join(",")} (got "${pair}")`);
          cli.scales[key as RowKey] = positive(scale ?? "");
        }
        break;
      }
      case "--vms": cli.vms = Math.round(positive(value())); break;
      case "--only": {
        cli.only = value().split(",").map((s) => s.trim()).filter(Boolean);
        const bad = cli.only.filter((r) => !ALL_ROWS.includes(r as RowKey));
        if (bad.length) throw new Error(`--only takes ${ALL_ROWS.join(",")} (got ${bad.join(",")})`);
        break;
      }
      case "--out": cli.out = value(); break;
      case "--no-readme": cli.readme = false; break;
      case "--seed": cli.seed = Math.round(positive(value())); break;
      case "--concurrency": cli.concurrency = Math.round(positive(value())); break;
      case "--outage-code": cli.outageCode = value(); break;
      case "--help":
      case "-h":
        process.stdout.write("node dist/bench/run.js [--scale <n> | <row>=<n>,...] [--vms 10000] [--only orch,sim,1,2,3,4,5,6,7,h,v2,naive] [--out bench/results/latest.md] [--no-readme] [--seed 1] [--concurrency 200] [--outage-code <code>]\n");
        process.exit(0);
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (Object.values(cli.scales).some((scale) => scale > 1000)) throw new Error("--scale must be at most 1000 (the app's LOCAL_TIME_SCALE limit)");
  return cli;
}

function commit(): string | undefined {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const scenario1 = oneRegionFleet(cli.vms);
  const scenario2 = manyRegionsFleet(cli.vms);
  const rows: RowResult[] = [];
  const orchestrator: OrchestratorAloneLine[] = [];
  if (cli.only.includes("orch")) {
    for (const [label, fleet] of [["scenario 1's fleet (1 subscription + region)", scenario1], ["scenario 2's fleet (20 subscriptions × 2 regions)", scenario2]] as const) {
      log(`orchestrator alone: ${label}`);
      try {
        orchestrator.push({ label, ...(await measureOrchestratorAlone(fleet, cli.seed)) });
        log(`orchestrator alone: ${orchestrator[orchestrator.length - 1]!.seconds.toFixed(1)} s`);
      } catch (error) {
        log(`orchestrator alone: FAILED ${(error as Error).stack ?? error}`);
        process.exitCode = 1;
      }
    }
  }
  let simulatorSection = "";
  if (cli.only.includes("sim")) {
    log("the simulator with a big fleet");
    simulatorSection = simulatorSpeedMarkdown(await measureSimulatorSpeed());
  }
  let savingsSection = "";
  if (cli.only.includes("savings")) {
    log("savings: GET /api/savings over 30 days");
    try {
      savingsSection = savingsMarkdown(await measureSavingsQuery(cli.vms, log));
    } catch (error) {
      log(`savings: FAILED ${(error as Error).stack ?? error}`);
      process.exitCode = 1;
    }
  }
  const runRow = async (key: string, run: () => Promise<RowResult>) => {
    if (!cli.only.includes(key)) return;
    log(`row ${key}: starting`);
    try {
      const row = await run();
      rows.push(row);
      log(`row ${key}: done in ${Math.round(row.realSeconds)} s real; ${row.running}/${row.vms} running`);
    } catch (error) {
      log(`row ${key}: FAILED ${(error as Error).stack ?? error}`);
      process.exitCode = 1;
    }
  };

  await runRow("1", () => runAppRow({ key: "1", label: "1. one subscription + region", fleet: scenario1, scale: cli.scales["1"], seed: cli.seed, log }));
  await runRow("2", () => runAppRow({ key: "2", label: "2. 20 subscriptions × 2 regions", fleet: scenario2, scale: cli.scales["2"], seed: cli.seed, log }));
  await runRow("3", () =>
    runAppRow({
      key: "3",
      label: "3. as 1 + 3% faults + 10-min Windows outage",
      fleet: scenario1,
      scale: cli.scales["3"],
      seed: cli.seed,
      faults: scenario3Faults(cli.outageCode),
      notBeforeSeconds: OUTAGE_SECONDS,
      log,
    }),
  );
  // Issue #12: one budget per subscription, shared by every request and every host instance.
  const fourTeams = oneRegionFleet(cli.vms, { resourceGroups: 4 });
  await runRow("4", () =>
    runAppRow({ key: "4", label: `4. 4 requests × ${(fourTeams.total / 4).toLocaleString("en-US")} VMs, one subscription + region, 3 instances`, fleet: fourTeams, requests: requestPerResourceGroup(fourTeams), hosts: 3, scale: cli.scales["4"], seed: cli.seed, log }));
  await runRow("5", () =>
    runAppRow({ key: "5", label: `5. the same ${fourTeams.total.toLocaleString("en-US")} VMs as one request, 3 instances`, fleet: fourTeams, hosts: 3, scale: cli.scales["5"], seed: cli.seed, log }));
  await runRow("6", () =>
    runAppRow({ key: "6", label: "6. stop (deallocate), one subscription + region", fleet: oneRegionFleet(cli.vms, { powerState: "running" }), operation: "deallocate", scale: cli.scales["6"], seed: cli.seed, log }));
  const sequenced = oneRegionFleet(cli.vms, { sequenceGroups: 10 });
  await runRow("7", () =>
    runAppRow({
      key: "7", label: "7. Sequenced start, 10 groups", fleet: sequenced, scale: cli.scales["7"], seed: cli.seed, log,
      requests: [{ Action: "start", Sequenced: true, RequestScopes: { Subscriptions: sequenced.subscriptions.map((s) => `/subscriptions/${s}/`) } }],
    }));
  // Issue #23: hibernate 2,000 VMs, 10% of them without hibernation enabled (deallocated instead, HibernateUnavailable).
  const hibernating = hibernateFleet(2000, 0.1);
  await runRow("h", () =>
    runAppRow({
      key: "h", label: "h. hibernate 2,000 VMs, 10% not enabled", fleet: hibernating, operation: "deallocate", scale: cli.scales.h, seed: cli.seed, log,
      requests: [{ Action: "stop", StopMode: "hibernate", RequestScopes: { Subscriptions: hibernating.subscriptions.map((s) => `/subscriptions/${s}/`) } }],
      afterRun: hibernateNotes,
    }));
  await runRow("v2", () => runV2Like({ fleet: scenario1, scale: cli.scales.v2, concurrency: cli.concurrency, seed: cli.seed, log }));
  await runRow("naive", () => runNaiveSdk({ fleet: scenario1, scale: cli.scales.naive, concurrency: cli.concurrency, seed: cli.seed, log }));

  let body = markdown(
    rows,
    {
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      cores: os.cpus().length,
      memoryGiB: os.totalmem() / 2 ** 30,
      node: process.version,
      commit: commit(),
      command: `node dist/bench/run.js ${process.argv.slice(2).join(" ")}`.trim(),
      globalNotes: [
        "Times are simulated (the simulator, the app's clock and its queue delays all run compressed by the row's time scale; " +
          "at 1× they are real). Compression makes the app's own work look that many times slower against Azure, so each row " +
          "runs at the lowest scale that keeps it within minutes. " +
          "Wall time = from the POST to the moment the last VM reached its target state (running, or deallocated for a stop), from the simulator's VM histories.",
        "T* is the joint bound: for each subscription + region, the later of Compute's bucket (UpdateVM for start, DeleteVM for " +
          "deallocate: 1,500 burst, 500/min, so max(0, N − 1,500)/500 min) and Resource Manager's write bucket per subscription " +
          "(200 burst, 10/s, so max(0, N − 200)/10 s), plus the slowest operation. The slowest operation is the configured maximum " +
          "(start 3:00, deallocate 2:00), not the durations actually drawn; the slowest drawn (from a VM's accepted call to its " +
          "target state, in the simulator's log and histories) is shown beside it. A Sequenced run's T* is the sum of its groups' " +
          `bounds. Scenario 3's T* allows for the outage (Windows VMs cannot start before ${OUTAGE_SECONDS} s + 3:00). ` +
          "\"Compute-only bound\" is issue #4's formula, kept for comparison with earlier runs: for scenario 2 (500 VMs per " +
          `subscription) it is ${Math.round(computeOnlyBoundSeconds(scenario2))} s against T* ${Math.round(jointBoundSeconds(scenario2))} s.`,
        "Rows 4 and 5 run three host processes against one Azurite and one simulator, as Flex Consumption scales out; every " +
          "instance and request draws from one shared budget ledger. Row 4 posts one request per resource group of 2,500 VMs " +
          "at the same moment (one Logic App per team); its notes give when each resource group's first and last VM arrived.",
        "ARM reads = GET, writes = POST, 429s = every throttled request, all from the simulator's request log. " +
          "Function executions = the host's `Executed` lines for Scheduled, the orchestrator and the executor (the benchmark's own status polls excluded). " +
          "Host peak memory = VmHWM of the local host process: the host itself, the orchestrator and up to 24 executor invocations " +
          "at once (in Azure the host and the Node worker are separate processes). The issue's memory target is for the orchestrator: " +
          "\"orchestrator alone\" runs its whole job in a process of its own (real time, real adapters) and reports that process's VmHWM.",
        "Baselines run the official @azure/arm-compute SDK in the benchmark's process against a fresh simulator with scenario 1's fleet. " +
          "The SDK's poll interval and the Retry-After values it honours are real seconds while the simulator runs compressed " +
          "(the row's scale): the client sees a faster Azure, as any such client would; the simulator converts its waiting times to real seconds.",
      ],
    },
    TARGETS,
    orchestrator,
  );
  if (simulatorSection) body = `${body.trimEnd()}\n\n${simulatorSection}`;
  if (savingsSection) body = `${body.trimEnd()}\n\n${savingsSection}`;
  process.stdout.write(`\n${body}`);
  const out = path.resolve(REPO_ROOT, cli.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeResults(out, "Benchmark results", body);
  log(`wrote ${path.relative(REPO_ROOT, out)}`);
  if (cli.readme) {
    const notesAt = body.indexOf("\nNotes:");
    const summary = notesAt >= 0 ? body.slice(0, notesAt) : body;
    updateReadme(path.join(REPO_ROOT, "README.md"), `${summary.trimEnd()}\n\nHow each number is measured, and per-row details: [${path.relative(REPO_ROOT, out)}](${path.relative(REPO_ROOT, out)}).`);
    log("updated README.md (bench section)");
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
