/**
 * Least privilege, both ways: the app runs its scenarios in the local world holding ONLY the role the Bicep
 * defines (on subscriptions and on resource groups). Every ARM request it makes maps (requiredAction) to an
 * action the role grants, none is refused, and the role grants no action that no request needed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_PRINCIPAL, APP_SUBSCRIPTION, World } from "../../src/local/world";
import { requiredAction } from "../../src/local/arm-simulator/rbac";
import { SUB_A, SUB_B, SUB_C, rgId, smallFleet, vmIdOf } from "../support/fleets";
import { requestJson } from "../../src/local/httpsJson";
import { descendants, literal, parseBicep, REPO } from "./bicep";
import path from "node:path";

/** The operator role's actions, read from infra/rbac/operator-role.bicep (every `...Actions` list). */
async function roleActions(): Promise<string[]> {
  const role = await parseBicep(path.join(REPO, "infra/rbac/operator-role.bicep"));
  return descendants(role.root, "variable_declaration")
    .filter((v) => /Actions$/.test(v.namedChildren[0]!.text))
    .flatMap((v) => literal(v.namedChildren.find((c) => c?.type === "array")!) as string[]);
}

let world: World;
let actions: string[];
const scope = (s: string) => s.replace(/\/$/, "");
beforeAll(async () => {
  actions = await roleActions();
  world = await World.start({
    fleet: smallFleet(),
    // The eviction watcher's real timer runs through the scenario.
    settings: { LOCAL_HOST_DISABLE_TIMERS: "false", EVICTION_WATCH_SCHEDULE: "*/1 * * * * *", WATCHDOG_SCHEDULE: "0 0 0 1 1 *" },
    roleAssignments: [
      { scope: `/subscriptions/${SUB_A}`, actions },
      { scope: scope(rgId(SUB_B, "rg-apps")), actions },
      { scope: scope(rgId(SUB_C, "rg-c")), actions },
      // infra/rbac/action-group-access.bicep: the same role on AutoStop's action group only.
      { scope: `/subscriptions/${APP_SUBSCRIPTION}/resourceGroups/rg-startstop/providers/Microsoft.Insights/actionGroups/StartStopVMs_AutoStop`, actions },
    ],
  });
});
afterAll(async () => world?.stop());

async function run(body: object): Promise<any> {
  const res = await world.callFunction("POST", "Scheduled", body);
  if (res.status !== 202) return res.body;
  return world.waitForRequest(res.body.requestId);
}

describe("least privilege of the operator role", () => {
  it("the app's scenarios succeed with only the role's actions", async () => {
    const whatIf = await world.callFunction("POST", "Scheduled", { Action: "start", WhatIf: true, RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } });
    expect(whatIf.status).toBe(200);
    expect((await run({ Action: "start", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } })).state).toBe("Succeeded");
    expect((await run({ Action: "stop", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } })).state).toBe("Succeeded");
    expect((await run({ Action: "start", Sequenced: true, RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } })).state).toBe("Succeeded");
    // resource-group scoped identity: the app may not list the whole subscription
    expect((await run({ Action: "start", RequestScopes: { ResourceGroups: [rgId(SUB_B, "rg-apps")] } })).state).toBe("Succeeded");
    expect((await run({ Action: "start", EnableClassic: true, RequestScopes: { VMLists: [vmIdOf(SUB_C, "rg-c", "c-01")] } })).state).toBe("Succeeded");
    const running = (await world.vms()).filter((v) => v.powerState === "running").map((v) => v.name);
    expect(running).toEqual(expect.arrayContaining(["app-01", "c-01", "db-01"]));
    // StopMode powerOff needs its own action (a hibernate is a deallocate with hibernate=true, the same action).
    expect((await run({ Action: "stop", StopMode: "powerOff", RequestScopes: { VMLists: [vmIdOf(SUB_C, "rg-c", "c-01")] } })).state).toBe("Succeeded");

    // AutoStop: alerts made for a subscription and a resource-group scope, updated, then all removed again.
    const autoStop = async (body: object) => {
      const res = await world.callFunction("POST", "AutoStop", { Action: "stop", AutoStop_TimeWindow: "00:30:00", ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      for (let i = 0; i < 200; i++) {
        const run = (await world.callFunction("GET", `autostop/runs/${res.body.runId}`)).body;
        if (["Succeeded", "PartiallySucceeded", "Failed"].includes(run.state)) return run;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error("AutoStop run did not finish");
    };
    const autoStopScopes = { Subscriptions: [`/subscriptions/${SUB_A}/`], ResourceGroups: [rgId(SUB_B, "rg-apps")] };
    expect((await autoStop({ RequestScopes: autoStopScopes })).state).toBe("Succeeded");
    // AutoStopVM confirms a firing with Alerts Management before it stops app-01 (a resource-group scoped identity).
    const app01 = vmIdOf(SUB_B, "rg-apps", "app-01").toLowerCase();
    const rule = (await world.sim<{ alerts: { id: string; scopes: string[] }[] }>("GET", "metricAlerts")).alerts.find((a) => a.scopes[0]!.toLowerCase() === app01)!;
    expect((await world.sim<{ sent: number }>("POST", "alertNotifications", { ruleId: rule.id, monitorCondition: "Fired" })).sent).toBe(1);
    await world.eventually("app-01 to be deallocated by its AutoStop alert", async () => (await world.vms()).find((v) => v.id.toLowerCase() === app01)!.powerState === "deallocated", { everyMs: 300 });
    expect((await autoStop({ AutoStop_Threshold: "3", RequestScopes: autoStopScopes })).state).toBe("Succeeded");
    expect((await autoStop({ AutoStop_Enabled: false, RequestScopes: autoStopScopes })).state).toBe("Succeeded");
    expect((await world.sim<{ alerts: unknown[] }>("GET", "metricAlerts")).alerts).toEqual([]);

    // Someone deallocates a VM that should be running: the eviction watcher reads its Activity Log to say who.
    const db01 = vmIdOf(SUB_A, "rg-data", "db-01");
    const stop = await requestJson(`${world.simUrl}${db01}/deallocate?api-version=2024-07-01`, { method: "POST", ca: world.caCertPem, headers: { authorization: "Bearer bob-token" } });
    expect(stop.status).toBe(202);
    const view = await world.eventually("the watcher's verdict on db-01", async () => {
      const body = (await world.callFunction("GET", `vms/${encodeURIComponent(db01)}`)).body;
      return body.lastEviction?.verdict === "stoppedByCaller" && body;
    }, { everyMs: 300 });
    expect(view.lastEviction).toMatchObject({ verdict: "stoppedByCaller" });

    // Tag schedules: the ScheduleEvaluator reads VMs and resource groups' tags in a subscription and in a
    // resource-group-only scope (the app's own evaluator, composed from this world's settings).
    await world.sim("PUT", `tags?scope=${encodeURIComponent(scope(rgId(SUB_B, "rg-apps")))}`, { tags: { "startstop-schedule": "always" } });
    expect((await world.callFunction("PUT", "schedules/always", { timezone: "UTC", periods: [{ beginTime: "00:00" }] })).status).toBe(201);
    Object.assign(process.env, world.appSettings(), { TARGET_SCOPES: `/subscriptions/${SUB_A},${scope(rgId(SUB_B, "rg-apps"))}` });
    const runtime = await import("../../src/functions/shared/runtime.js");
    const tick = await runtime.buildScheduleEvaluator().tick(new Date());
    expect(tick.failed).toEqual([]);
    expect(tick.vmsScheduled).toBeGreaterThan(0);
  });

  it("every ARM request maps to an action the role grants, none was refused, and the role grants nothing unused", async () => {
    const log = await world.armRequests();
    expect((await world.sim<{ principals: string[] }>("GET", "rbac/principals")).principals).toContain(APP_PRINCIPAL);
    // A refusal is only acceptable for a scope the identity was not given (a subscription-wide list while only
    // a resource group is assigned, which the app survives by reading per resource group / VM), never for a
    // missing action.
    const refused = log.filter((r) => r.status === 403);
    for (const r of refused) {
      expect(actions, `${r.method} ${r.path} refused`).toContain(requiredAction(r.method, r.path)!.action);
      expect([SUB_B, SUB_C].some((sub) => r.path.includes(sub)), `${r.path}: refused outside the resource-group-only subscriptions`).toBe(true);
    }
    const used = new Set<string>();
    for (const r of log) {
      const need = requiredAction(r.method, r.path);
      expect(need, `${r.method} ${r.path} is a route the simulator does not map to an action`).toBeDefined();
      used.add(need!.action);
    }
    expect([...used].filter((a) => !actions.includes(a))).toEqual([]);
    expect(actions.filter((a) => !used.has(a))).toEqual([]);
  });
});
