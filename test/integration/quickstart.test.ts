/**
 * The README's promise, run verbatim: on a fresh clone, `npm ci && npm start`, then the README's curl
 * block, visibly starts the demo VMs (checked in the simulator).
 */
import { eventually } from "../../src/local/eventually";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/world";
import { requestJson } from "../../src/local/httpsJson";

const clone = mkdtempSync(path.join(tmpdir(), "ssv-quickstart-"));
let app: ChildProcess | undefined;
let output = "";

afterAll(async () => {
  if (app && app.exitCode === null) {
    process.kill(-app.pid!, "SIGINT");
    await new Promise((r) => { app!.once("exit", r); setTimeout(r, 15_000); });
  }
  rmSync(clone, { recursive: true, force: true });
});

/** The README's user has none of the test world's settings in their shell. */
function withoutAppSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of ["LOCAL_FUNCTION_KEY", "AzureWebJobsStorage", "ARM_ENDPOINT", "ARM_CA_CERT_PATH"]) delete copy[name];
  return copy;
}

function readmeBlock(): string {
  const readme = readFileSync(path.join(clone, "README.md"), "utf8");
  const block = readme.split("<!-- quickstart:start -->")[1]?.split("<!-- quickstart:end -->")[0];
  const code = block?.match(/```bash\n([\s\S]*?)```/)?.[1];
  if (!code) throw new Error("README has no quickstart block");
  return code;
}

describe("README quick start on a fresh clone", () => {
  it("npm ci && npm start, then the README's curl starts the demo web tier", async () => {
    execFileSync("git", ["clone", "-q", REPO_ROOT, clone]);
    execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: clone, stdio: "ignore" });
    app = spawn("npm", ["start"], { cwd: clone, detached: true, stdio: ["ignore", "pipe", "pipe"], env: withoutAppSettings(process.env) });
    app.stdout!.on("data", (c) => (output += c));
    app.stderr!.on("data", (c) => (output += c));
    await eventually("npm start to come up", () => {
      if (app!.exitCode !== null) throw new Error(`npm start exited with ${app!.exitCode}:\n${output}`);
      return output.includes("Functions host listening");
    }, { everyMs: 200, explain: () => output });
    expect(output).toContain("curl -s -X POST");

    const printed = execFileSync("bash", ["-euo", "pipefail", "-c", readmeBlock()], { encoding: "utf8" });
    expect(printed).toContain('"successful":true');
    expect(printed).toMatch(/"state":"(Accepted|Running|Succeeded)"/);

    const ca = readFileSync(path.join(clone, ".local/arm-simulator-ca.pem"), "utf8");
    let running = 0;
    await eventually("the 62 VMs of rg-web-prod to run", async () => {
      running = (await requestJson(`https://127.0.0.1:8443/_sim/vms?resourceGroup=rg-web-prod&powerState=running`, { ca })).body.vms.length;
      return running === 62;
    }, { everyMs: 1000, explain: () => `${running} running` });
  });
});
