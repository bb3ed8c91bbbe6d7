/**
 * Schedules applied by tag, end to end: a small fleet in two subscriptions follows three schedules (Berlin, New York,
 * Tokyo) over two simulated days, and is checked against the simulator's record of accepted power calls and its VM
 * histories; then catch-up after the function hosts are killed and the evaluator's memory is gone.
 *
 * The evaluator is the app's own (src/functions/shared/runtime.ts, composed from this world's settings: the table
 * stores on Azurite, the Compute and Resources clients against the simulator, submitRequest into the real queues);
 * the hosts run the engine. Its ticks are given the schedule's instants directly (every 15 minutes of two days),
 * so the days pass in seconds; requests are waited for every 8 simulated hours (before any VM's next transition).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FUNCTION_KEY, REPO_ROOT, World } from "../../src/local/world";
import type { ScheduleEvaluator } from "../../src/schedules/evaluator";
import type { TickReport } from "../../src/schedules/evaluator";
import { SUB_A, SUB_B, vmIdOf } from "../support/fleets";

let world: World;
let runtime: typeof import("../../src/functions/shared/runtime");
let evaluator: ScheduleEvaluator;

const fast = { start: { minSeconds: 2, maxSeconds: 4 }, deallocate: { minSeconds: 2, maxSeconds: 4 } };
const fleet = {
  durations: fast,
  subscriptions: [
    {
      subscriptionId: SUB_A,
      resourceGroups: [
        // The group's tag applies to its VMs, unless a VM has its own.
        { name: "rg-berlin", location: "westeurope", tags: { "startstop-schedule": "berlin-office" }, vms: [{ name: "be-1" }, { name: "be-2" }, { name: "tk-1", tags: { "StartStop-Schedule": "tokyo-batch" } }] },
        { name: "rg-other", location: "westeurope", vms: [{ name: "free-1" }, { name: "free-2", powerState: "running" }] },
      ],
    },
    {
      subscriptionId: SUB_B,
      resourceGroups: [{ name: "rg-ny", location: "eastus", vms: [{ name: "ny-1" }, { name: "ny-2" }] }],
    },
  ],
};
const SCHEDULES = {
  "berlin-office": { timezone: "W. Europe Standard Time", periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] },
  "ny-office": { timezone: "America/New_York", periods: [{ beginTime: "07:00", endTime: "18:00", weekdays: "mon-fri" }] },
  "tokyo-batch": { timezone: "Tokyo Standard Time", periods: [{ beginTime: "09:00", endTime: "18:00" }] },
};
const TICK_MS = 15 * 60_000;

beforeAll(async () => {
  // Verification looks every 0.2 real seconds (4 simulated), so each tick's requests end quickly.
  world = await World.start({ fleet, timeScale: 20, settings: { VERIFY_INTERVAL_SECONDS: "4", POSTPONE_LINK_KEY: "integration-test-postpone-link-key-0123456789" } });
  // The tags API of the simulator, as an operator would set them.
  const ny = await world.sim("PUT", `tags?scope=${encodeURIComponent(`/subscriptions/${SUB_B}/resourceGroups/rg-ny`)}`, { tags: { "startstop-schedule": "ny-office" } });
  expect(ny).toBeUndefined();
  Object.assign(process.env, world.appSettings(), {
    TARGET_SCOPES: `/subscriptions/${SUB_A},/subscriptions/${SUB_B}/resourceGroups/rg-ny`,
    SCHEDULE_EVALUATOR_INTERVAL_MINUTES: "15",
    SCHEDULE_INVENTORY_MINUTES: "15",
  });
  runtime = await import("../../src/functions/shared/runtime.js");
  evaluator = runtime.buildScheduleEvaluator();
  // The schedules are deployed as azd's postdeploy hook does it (scripts/deploy-schedules.mjs over schedules.json).
  const file = path.join(mkdtempSync(path.join(tmpdir(), "ssv-schedules-")), "schedules.json");
  writeFileSync(file, JSON.stringify(SCHEDULES));
  const deployed = execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts/deploy-schedules.mjs"), file], {
    encoding: "utf8", env: { ...process.env, FUNCTION_BASE_URL: world.hostUrl, FUNCTION_KEY },
  });
  expect(deployed.trim().split("\n")).toEqual(["deploy-schedules: berlin-office created", "deploy-schedules: ny-office created", "deploy-schedules: tokyo-batch created"]);
});
afterAll(async () => world?.stop());

/** Requests submitted and not yet waited for. */
let pending: Promise<void>[] = [];

/** One tick at a schedule instant; its requests are waited for later (settle). */
async function tick(at: Date, e = evaluator): Promise<TickReport> {
  const report = await e.tick(at);
  expect(report.failed).toEqual([]);
  pending.push(...report.requests.map(async (r) => {
    const state = await world.eventually(`request ${r.requestId} (${r.schedule} ${r.action}) to finish`, async () => {
      const res = await world.callFunction("GET", `requests/${r.requestId}?top=1`);
      return res.status === 200 && ["Succeeded", "PartiallySucceeded", "Failed"].includes(res.body.state) && res.body.state;
    }, { everyMs: 100 });
    expect(state).toBe("Succeeded");
  }));
  return report;
}

async function settle(): Promise<void> {
  const waiting = pending;
  pending = [];
  await Promise.all(waiting);
}

const accepted = async () => (await world.armRequests()).filter((r) => (r.operation === "start" || r.operation === "deallocate") && r.status === 202);
const callsPerVm = async () => {
  const out = new Map<string, string[]>();
  for (const r of await accepted()) out.set(r.vmId!.split("/").pop()!, [...(out.get(r.vmId!.split("/").pop()!) ?? []), r.operation!]);
  return out;
};

describe("a fleet following three schedules", () => {
  it("over two days, every VM is started and stopped exactly at its schedule's transitions, the untagged ones never", async () => {
    // Monday 2026-03-02 00:00 UTC to Wednesday 00:00 UTC, every 15 minutes.
    const from = Date.parse("2026-03-02T00:00:00Z");
    const submitted: { at: string; schedule: string; action: string; vms: number }[] = [];
    let ticks = 0;
    for (let t = from; t < from + 2 * 86_400_000; t += TICK_MS) {
      const report = await tick(new Date(t));
      for (const r of report.requests) submitted.push({ at: report.at, schedule: r.schedule, action: r.action, vms: r.vms });
      expect(report.vmsScheduled).toBe(5);
      // The same VM is acted on again 9 hours later at the soonest: waiting every 8 hours keeps its calls in order.
      if (++ticks % 32 === 0) await settle();
    }
    await settle();
    // Berlin 08:00/19:00 CET = 07:00/18:00 UTC; New York 07:00/18:00 EST = 12:00/23:00 UTC; Tokyo 09:00/18:00 JST = 00:00/09:00 UTC.
    expect(submitted).toEqual([
      { at: "2026-03-02T00:00:00.000Z", schedule: "tokyo-batch", action: "start", vms: 1 },
      { at: "2026-03-02T07:00:00.000Z", schedule: "berlin-office", action: "start", vms: 2 },
      { at: "2026-03-02T09:00:00.000Z", schedule: "tokyo-batch", action: "stop", vms: 1 },
      { at: "2026-03-02T12:00:00.000Z", schedule: "ny-office", action: "start", vms: 2 },
      { at: "2026-03-02T18:00:00.000Z", schedule: "berlin-office", action: "stop", vms: 2 },
      { at: "2026-03-02T23:00:00.000Z", schedule: "ny-office", action: "stop", vms: 2 },
      { at: "2026-03-03T00:00:00.000Z", schedule: "tokyo-batch", action: "start", vms: 1 },
      { at: "2026-03-03T07:00:00.000Z", schedule: "berlin-office", action: "start", vms: 2 },
      { at: "2026-03-03T09:00:00.000Z", schedule: "tokyo-batch", action: "stop", vms: 1 },
      { at: "2026-03-03T12:00:00.000Z", schedule: "ny-office", action: "start", vms: 2 },
      { at: "2026-03-03T18:00:00.000Z", schedule: "berlin-office", action: "stop", vms: 2 },
      { at: "2026-03-03T23:00:00.000Z", schedule: "ny-office", action: "stop", vms: 2 },
    ]);
    // What Azure accepted, per VM, in order; the untagged VMs (free-1, free-2 running) were never called.
    const twoDays = ["start", "deallocate", "start", "deallocate"];
    expect(Object.fromEntries(await callsPerVm())).toEqual({ "be-1": twoDays, "be-2": twoDays, "tk-1": twoDays, "ny-1": twoDays, "ny-2": twoDays });
    // The simulator's own histories agree: each scheduled VM went deallocated → running → deallocated twice.
    const vms = await world.vms();
    for (const vm of vms.filter((v) => !v.name.startsWith("free"))) {
      const settled = vm.history.map((h) => h.powerState).filter((s) => s === "running" || s === "deallocated");
      expect(settled, vm.name).toEqual(["deallocated", "running", "deallocated", "running", "deallocated"]);
    }
    expect(vms.find((v) => v.name === "free-2")!.powerState).toBe("running");
    // GET /api/vms/{id} shows the schedule and the evaluator's last decision.
    const be1 = await world.callFunction("GET", `vms/${encodeURIComponent(vmIdOf(SUB_A, "rg-berlin", "be-1"))}`);
    expect(be1.status).toBe(200);
    expect(be1.body.schedule).toMatchObject({ name: "berlin-office", storedState: "stopped", lastDecision: { at: "2026-03-03T18:00:00.000Z", action: "stop" } });
    expect(be1.body.schedule.lastDecision.reason).toContain("outside every period");
  });

  it("after the hosts are killed through a transition, the next tick catches up on one younger than catchUpMinutes and says so, and leaves an older one", async () => {
    const before = (await accepted()).length;
    await world.killHosts();
    // Wednesday: Tokyo started at 00:00 UTC (7h40 before the next tick: too old), Berlin at 07:00 UTC (40 min: caught up).
    await world.startHost();
    const restarted = runtime.buildScheduleEvaluator(); // a new process: no inventory, no states in memory
    const report = await tick(new Date("2026-03-04T07:40:00Z"), restarted);
    await settle();
    expect(report.catchUp).toBe(true);
    expect(report.requests.map((r) => [r.schedule, r.action, r.vms])).toEqual([["berlin-office", "start", 2]]);
    const calls = (await accepted()).slice(before).map((r) => `${r.operation} ${r.vmId!.split("/").pop()}`).sort();
    expect(calls).toEqual(["start be-1", "start be-2"]);
    const be1 = await runtime.scheduleStateStore().get(vmIdOf(SUB_A, "rg-berlin", "be-1").toLowerCase());
    expect(be1!.reason).toMatch(/^catch-up after downtime .*applying the transition at 2026-03-04T08:00:00\+01:00 \(40 min ago\)/);
    const tk1 = await runtime.scheduleStateStore().get(vmIdOf(SUB_A, "rg-berlin", "tk-1").toLowerCase());
    expect(tk1).toMatchObject({ action: "none", stored: "running" });
    expect(tk1!.reason).toMatch(/missed while the app was down .*older than catchUpMinutes \(60\)/);
    expect((await world.vms()).find((v) => v.name === "tk-1")!.powerState).toBe("deallocated");
  });

  it("an override set through the API shows in GET /api/vms/{id} and in a WhatIf; a forged postpone link is 403", async () => {
    const id = vmIdOf(SUB_A, "rg-berlin", "be-2");
    const until = new Date(Date.now() + 86_400_000).toISOString();
    const set = await world.callFunction("POST", `vms${id}/override`, { state: "running", until });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect((await world.callFunction("POST", `vms${id}/override`, { state: "paused", until: "soon" })).body.errors.map((e: { field: string }) => e.field)).toEqual(["state", "until"]);
    expect((await world.callFunction("GET", `vms/${encodeURIComponent(id)}`)).body.override).toMatchObject({ state: "running", active: true, source: "POST /api/vms/{id}/override" });
    const whatIf = await world.callFunction("POST", "Scheduled", { Action: "stop", WhatIf: true, RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-berlin/`] } });
    expect(whatIf.status).toBe(200);
    const held = whatIf.body.vms.filter((v: { scheduleOverride?: unknown }) => v.scheduleOverride).map((v: { name: string }) => v.name);
    expect(held).toEqual(["be-2"]);
    for (const method of ["GET", "POST"]) {
      const forged = await world.callFunction(method, "postpone?token=eyJwdXJwb3NlIjoic2NoZWR1bGUtcG9zdHBvbmUifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      expect(forged.status).toBe(403);
    }
    expect((await world.callFunction("DELETE", `vms${id}/override`)).status).toBe(204);
  });
});

