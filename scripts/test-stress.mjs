#!/usr/bin/env node
// `npm run test:stress [-- K]`: the whole suite K times (default 3) with one CPU-burning process per core beside it, as
// on a busy CI machine, printing each run's closing line and the tests that failed. A test that fails here is a defect
// to find at its root, not a bound to widen.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";

const runs = Number(process.argv[2] ?? 3);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`the number of runs must be a positive integer (got "${process.argv[2]}")`);

for (const script of ["build", "typecheck"]) {
  const r = spawnSync("npm", ["run", script], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
mkdirSync(".local", { recursive: true });
const burners = os.cpus().map(() => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
const stopBurners = () => burners.forEach((b) => b.kill("SIGKILL"));
process.on("exit", stopBurners);
process.on("SIGINT", () => process.exit(130));

const lines = [];
let failedRuns = 0;
for (let i = 1; i <= runs; i++) {
  const report = `.local/stress-${i}.json`;
  const started = Date.now();
  spawnSync("npx", ["vitest", "run", `--outputFile.json=${report}`], { stdio: ["ignore", "ignore", "inherit"] });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  let line;
  try {
    const r = JSON.parse(readFileSync(report, "utf8"));
    const failed = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === "failed").map((a) => `    ✗ ${f.name.replace(`${process.cwd()}/`, "")} > ${a.fullName}`));
    line = `run ${i} (${minutes} min, ${burners.length} burners): ${r.numPassedTests} passed, ${r.numFailedTests} failed${failed.length ? `\n${failed.join("\n")}` : ""}`;
    if (r.numFailedTests > 0 || !r.success) failedRuns++;
  } catch {
    line = `run ${i} (${minutes} min): no report (the run did not finish)`;
    failedRuns++;
  }
  console.log(line);
  lines.push(line);
}
stopBurners();
console.log(`\ntest:stress: ${runs - failedRuns} of ${runs} runs green\n${lines.join("\n")}`);
process.exit(failedRuns > 0 ? 1 : 0);
