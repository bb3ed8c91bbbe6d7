/**
 * The real scheduled-events agent script under a harness, against the IMDS simulator: the hook runs once per event,
 * the approval goes out only after the hook finished (and never when approvals are off), a restarted agent does not
 * run the hook again, and the event reaches the app's report URL with the VM's managed-identity token.
 *
 * The bash agent runs here. Set SSV_AGENT=powershell to run the PowerShell agent through the same test (the GitHub
 * workflow does, where pwsh exists).
 */
import { eventually } from "../../src/local/eventually";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startImdsSimulator, type RunningImdsSimulator } from "../../src/local/imds-simulator";

const ROOT = path.resolve(__dirname, "../..");
const BASH_AGENT = path.join(ROOT, "agents/scheduled-events/linux/ssv-events-agent.sh");
const PS_AGENT = path.join(ROOT, "agents/scheduled-events/windows/SsvEventsAgent.ps1");
const VM_ID = "/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-01";
const usePowerShell = process.env.SSV_AGENT === "powershell";

let imds: RunningImdsSimulator;
let dir: string;
let agents: ChildProcess[] = [];
let agentOutput: string[] = [];
const reports: { authorization?: string; body: any }[] = [];
let reportServer: Server;
let reportUrl: string;

beforeAll(async () => {
  imds = await startImdsSimulator({ vmResourceId: VM_ID });
  reportServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      reports.push({ authorization: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => reportServer.listen(0, "127.0.0.1", () => r()));
  reportUrl = `http://127.0.0.1:${(reportServer.address() as AddressInfo).port}/api/events`;
});
afterAll(async () => {
  await imds?.close();
  await new Promise((r) => reportServer?.close(r));
});

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "ssv-agent-"));
  imds.events.clear();
  reports.length = 0;
  agentOutput = [];
  // The drain hook a user would supply: records when it starts and ends, and takes a moment like a real drain.
  const hook = path.join(dir, "drain.sh");
  writeFileSync(hook, `#!/usr/bin/env bash\necho "start $EVENT_ID $EVENT_TYPE $(date +%s%N)" >> "${dir}/hook.log"\ncat > /dev/null\nsleep 0.5\necho "end $EVENT_ID $(date +%s%N)" >> "${dir}/hook.log"\n`);
  chmodSync(hook, 0o755);
});
afterEach(async () => {
  await Promise.all(agents.map(stopAgent));
  agents = [];
});

function startAgent(env: Record<string, string> = {}): ChildProcess {
  const [command, args] = usePowerShell ? ["pwsh", ["-NoProfile", "-File", PS_AGENT]] : ["bash", [BASH_AGENT]];
  const child = spawn(command, args as string[], {
    env: {
      PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir,
      IMDS_ENDPOINT: imds.url, STATE_DIR: path.join(dir, "state"), DRAIN_HOOK: path.join(dir, "drain.sh"),
      POLL_SECONDS: "0.2", APPROVE: "true", LOG_TAG: "ssv-events-agent-test", ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c: Buffer) => agentOutput.push(c.toString("utf8")));
  child.stderr!.on("data", (c: Buffer) => agentOutput.push(c.toString("utf8")));
  agents.push(child);
  return child;
}

async function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

const until = <T>(what: string, read: () => T | undefined | false): Promise<T> =>
  eventually(what, read, { everyMs: 100, explain: () => `agent said:\n${agentOutput.join("")}` });

const hookLines = () => (existsSync(path.join(dir, "hook.log")) ? readFileSync(path.join(dir, "hook.log"), "utf8").trim().split("\n") : []);
const schedule = (body: object) => imds.events.schedule({ resources: ["web-01"], ...(body as any) }, Date.now());

describe("scheduled-events agent", () => {
  it("a Freeze runs the hook once, then approves the event, and reports it with the VM's token", async () => {
    const eventId = schedule({ eventType: "Freeze", noticeSeconds: 900, durationSeconds: 5 });
    startAgent({ REPORT_URL: reportUrl, REPORT_AUDIENCE: "api://startstop-test" });
    const approval = await until("the approval", () => imds.events.approvals.find((a) => a.eventId === eventId));
    const lines = hookLines();
    expect(lines.filter((l) => l.startsWith("start "))).toHaveLength(1);
    const hookEnd = Number(lines.find((l) => l.startsWith(`end ${eventId}`))!.split(" ")[2]) / 1e6;
    expect(approval.at).toBeGreaterThanOrEqual(Math.floor(hookEnd)); // approved only after the hook finished
    // The event started because it was approved, long before its NotBefore.
    expect(imds.events.document(Date.now()).Events[0]?.EventStatus).toBe("Started");

    const report = await until("the report", () => reports.find((r) => r.body.event?.EventId === eventId));
    expect(report.body.vmId).toBe(VM_ID);
    expect(report.body.event.EventType).toBe("Freeze");
    const [, payload] = report.authorization!.replace(/^Bearer /, "").split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8"));
    expect(claims).toMatchObject({ aud: "api://startstop-test", xms_mirid: VM_ID });
    // Still exactly one hook run after a few more polls.
    await new Promise((r) => setTimeout(r, 1000));
    expect(hookLines().filter((l) => l.startsWith("start "))).toHaveLength(1);
  });

  it("never approves when approvals are turned off: the event starts at its NotBefore and goes away", async () => {
    const eventId = schedule({ eventType: "Reboot", noticeSeconds: 3, durationSeconds: 1 });
    startAgent({ APPROVE: "false" });
    await until("the hook", () => hookLines().some((l) => l.startsWith(`end ${eventId}`)));
    await until("the event to be over", () => imds.events.document(Date.now()).Events.length === 0);
    await until("the agent to notice", () => agentOutput.join("").includes(`${eventId} is over`));
    expect(imds.events.approvals).toEqual([]);
    expect(hookLines().filter((l) => l.startsWith("start "))).toHaveLength(1);
  });

  it("a restarted agent does not run the hook twice for the same event", async () => {
    const eventId = schedule({ eventType: "Redeploy", noticeSeconds: 600, durationSeconds: 60 });
    const first = startAgent({ APPROVE: "false" });
    await until("the hook", () => hookLines().some((l) => l.startsWith(`end ${eventId}`)));
    await stopAgent(first);
    startAgent({ APPROVE: "false" });
    await until("the restarted agent to poll", () => agentOutput.join("").split("watching scheduled events").length > 2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(hookLines().filter((l) => l.startsWith("start "))).toHaveLength(1);
    expect(imds.events.approvals).toEqual([]);
  });

  it("leaves events for other VMs alone (no hook, no approval) but logs them", async () => {
    const eventId = schedule({ eventType: "Freeze", noticeSeconds: 900, resources: ["web-02"] });
    startAgent();
    await until("the log line", () => agentOutput.join("").includes(`new scheduled event ${eventId}`));
    await new Promise((r) => setTimeout(r, 1000));
    expect(hookLines()).toEqual([]);
    expect(imds.events.approvals).toEqual([]);
  });
});

describe("agent scripts", () => {
  const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
  // CI installs shellcheck (Debian package) in .ci/run; a developer machine without it skips this check.
  it.skipIf(!shellcheck && !process.env.CI)("the bash agent and its installer are shellcheck-clean", () => {
    const dirPath = path.join(ROOT, "agents/scheduled-events/linux");
    const run = spawnSync("shellcheck", ["--severity=style", path.join(dirPath, "ssv-events-agent.sh"), path.join(dirPath, "install.sh")], { encoding: "utf8" });
    expect(run.error, "shellcheck is not installed: apt-get install shellcheck").toBeUndefined();
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("install and uninstall are one command each", () => {
    const root = mkdtempSync(path.join(tmpdir(), "ssv-agent-root-"));
    const installer = path.join(ROOT, "agents/scheduled-events/linux/install.sh");
    const install = spawnSync("bash", [installer], { env: { ...process.env, ROOT: root }, encoding: "utf8" });
    expect(install.status, install.stderr).toBe(0);
    expect(existsSync(path.join(root, "usr/local/lib/ssv-events-agent/ssv-events-agent.sh"))).toBe(true);
    expect(readFileSync(path.join(root, "etc/systemd/system/ssv-events-agent.service"), "utf8")).toContain("ExecStart=/usr/local/lib/ssv-events-agent/ssv-events-agent.sh");
    expect(existsSync(path.join(root, "etc/ssv-events-agent.conf"))).toBe(true);
    const uninstall = spawnSync("bash", [installer, "--uninstall", "--purge"], { env: { ...process.env, ROOT: root }, encoding: "utf8" });
    expect(uninstall.status, uninstall.stderr).toBe(0);
    expect(existsSync(path.join(root, "usr/local/lib/ssv-events-agent/ssv-events-agent.sh"))).toBe(false);
    expect(existsSync(path.join(root, "etc/systemd/system/ssv-events-agent.service"))).toBe(false);
    expect(existsSync(path.join(root, "etc/ssv-events-agent.conf"))).toBe(false);
  });
});
