/**
 * AutoStop end to end, checked against the simulator's own state: v2's AutoStop body → one metric alert per VM (the
 * simulator's Insights), the simulator evaluates them over the VMs' CPU and calls AutoStopVM through the action group's
 * webhook, and exactly the idle VMs end deallocated through the request engine. Reruns write nothing, narrowing and
 * switching off clean up, forged webhooks change nothing, and injected Insights faults are survived.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_GROUPS_PRINCIPAL, World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

let world: World;
const RG = "rg-auto";
const scopes = { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/${RG}/`] };
/** v2's documented AutoStop body (values as strings), with a short window so the test runs in seconds. */
const v2Body = (over: Record<string, unknown> = {}) => ({
  Action: "stop", EnableClassic: true, AutoStop_MetricName: "Percentage CPU", AutoStop_Condition: "LessThan",
  AutoStop_Description: "Alert to stop the VM if the CPU % exceed the threshold", AutoStop_Frequency: "00:01:00", AutoStop_Severity: "2",
  AutoStop_Threshold: "5", AutoStop_TimeAggregationOperator: "Average", AutoStop_TimeWindow: "00:05:00", RequestScopes: scopes, ...over,
});

beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet([
      { subscriptionId: SUB_A, resourceGroup: RG, location: "westeurope", count: 200, powerState: "running", namePrefix: "busy-" },
      { subscriptionId: SUB_A, resourceGroup: RG, location: "westeurope", count: 100, powerState: "running", namePrefix: "idle-" },
      { subscriptionId: SUB_A, resourceGroup: "rg-faulty", location: "westeurope", count: 40, powerState: "running", namePrefix: "f-" },
    ]),
    timeScale: 30,
  });
});
afterAll(async () => world?.stop());

async function autoStop(body: unknown): Promise<any> {
  const res = await world.callFunction("POST", "AutoStop", body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  let last: unknown;
  return world.eventually(`AutoStop run ${res.body.runId} to finish`, async () => {
    const run = await world.callFunction("GET", `autostop/runs/${res.body.runId}`);
    last = run.body;
    return ["Succeeded", "PartiallySucceeded", "Failed"].includes(run.body.state) ? run.body : undefined;
  }, { explain: () => `last: ${JSON.stringify(last).slice(0, 500)}` });
}

const managedAlerts = async () => (await world.sim<{ alerts: any[] }>("GET", "metricAlerts")).alerts.filter((a) => a.tags["startstop-managed-by"] === "startstop-world");
const alertWrites = async (since = 0) => (await world.armRequests()).slice(since).filter((r) => /metricAlert(Put|Delete)/.test(r.operation ?? ""));
const deallocates = async () => (await world.armRequests()).filter((r) => r.operation === "deallocate" && r.status === 202);

describe("AutoStop", () => {
  it("idle VMs are stopped: exactly the 100 idle of 300 end deallocated, and no busy VM is ever called", async () => {
    await world.sim("POST", "cpu", { namePattern: "idle-*", percent: 1 });
    const run = await autoStop(v2Body());
    expect(run.state).toBe("Succeeded");
    expect(run.counts).toEqual({ Created: 300 });
    const alerts = await managedAlerts();
    expect(alerts).toHaveLength(300);
    expect(new Set(alerts.map((a) => a.scopes[0].toLowerCase())).size).toBe(300); // one per VM, each on its VM

    const vms = await world.eventually("the 100 idle VMs to be deallocated", async () => {
      const now = await world.vms();
      return now.filter((v) => v.name.startsWith("idle-") && v.powerState === "deallocated").length >= 100 ? now : undefined;
    }, { everyMs: 500 });
    expect(vms.filter((v) => v.name.startsWith("idle-")).map((v) => v.powerState)).toEqual(Array(100).fill("deallocated"));
    expect(vms.filter((v) => v.name.startsWith("busy-") && v.powerState !== "running")).toEqual([]);
    const calls = await deallocates();
    expect(calls.filter((c) => !c.vmId?.includes("/idle-"))).toEqual([]);
    expect(new Set(calls.map((c) => c.vmId)).size).toBe(calls.length); // each idle VM deallocated once
    expect(calls).toHaveLength(100);
    // Verified, as any stop: the VM's view names the stop request and its outcome.
    const idle = vms.find((v) => v.name === "idle-0007")!;
    const view = (await world.callFunction("GET", `vms/${encodeURIComponent(idle.id)}`)).body;
    expect(view.desiredState).toMatchObject({ powerState: "PowerState/deallocated", action: "stop" });
    const stop = await world.waitForRequest(view.desiredState.setBy, 30_000);
    expect(stop).toMatchObject({ action: "stop", state: "Succeeded" });
  }, 240_000);

  it("a rerun of the same body writes nothing: no PUT, no DELETE, no 409, no duplicate", async () => {
    const before = (await world.armRequests()).length;
    const run = await autoStop(v2Body());
    expect(run.counts).toEqual({ Unchanged: 300 });
    expect(await alertWrites(before)).toEqual([]);
    expect((await world.armRequests()).slice(before).filter((r) => r.status === 409)).toEqual([]);
    expect(await managedAlerts()).toHaveLength(300);
  });

  it("WhatIf lists what would change without writing", async () => {
    const before = (await world.armRequests()).length;
    const res = await world.callFunction("POST", "AutoStop", v2Body({ WhatIf: true, AutoStop_Threshold: "10", RequestScopes: { ...scopes, ExcludedVMLists: ["busy-001*"] } }));
    expect(res.status).toBe(200);
    expect(res.body.summary).toEqual({ create: 0, update: 290, unchanged: 0, delete: 10, excluded: 0 });
    expect(res.body.delete[0].detail).toMatch(/excluded/);
    expect(await alertWrites(before)).toEqual([]);
  });

  it("webhooks are guarded: forged notifications change nothing, and an alert that fires five times produces one stop", async () => {
    const busy = (await managedAlerts()).find((a) => a.scopes[0].endsWith("/busy-0042"))!;
    const other = (await managedAlerts()).find((a) => a.scopes[0].endsWith("/busy-0043"))!;
    const notification = (rule: string, vm: string) => ({
      schemaId: "azureMonitorCommonAlertSchema",
      data: { essentials: { alertId: `/subscriptions/${SUB_A}/providers/Microsoft.AlertsManagement/alerts/0f0f0f0f-0000-4000-8000-00000000f0f0`, alertRule: rule, signalType: "Metric", monitorCondition: "Fired", alertTargetIDs: [vm.toLowerCase()] }, alertContext: {} },
    });
    // Sent as Azure Monitor would (its secure-webhook token): the body must still be checked against Azure.
    const post = (body: unknown) => world.callAs(ACTION_GROUPS_PRINCIPAL, "POST", "AutoStopVM", body);
    expect((await post(notification("autostop-made-up-00000000", busy.scopes[0]))).status).toBe(404);
    expect((await post(notification(other.name, busy.scopes[0]))).status).toBe(403); // another VM's alert
    expect((await post({ hello: "world" })).status).toBe(400);
    const notManaged = { ...notification(busy.name, busy.scopes[0]) };
    notManaged.data.essentials.signalType = "Log";
    expect((await post(notManaged)).status).toBe(400);
    const unauthenticated = await fetch(`${world.hostUrl}/api/AutoStopVM`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(notification(busy.name, busy.scopes[0])) });
    expect(unauthenticated.status).toBe(401);
    // A function key opens nothing here: the webhook takes Entra tokens only.
    expect((await world.callFunction("POST", "AutoStopVM", notification(busy.name, busy.scopes[0]))).status).toBe(401);
    expect((await world.vms()).find((v) => v.id === busy.scopes[0])!.powerState).toBe("running");
    expect((await deallocates()).filter((c) => c.vmId === busy.scopes[0])).toEqual([]);

    // The VM goes idle and its alert really fires (Alerts Management has the instance), then Azure repeats the
    // notification four times: one stop request, one deallocate.
    const firedDeliveries = async () => (await world.sim<{ deliveries: any[] }>("GET", "webhooks")).deliveries.filter((d) => d.ruleId === busy.id && d.monitorCondition === "Fired");
    await world.sim("POST", "cpu", { vmIds: [busy.scopes[0]], percent: 1 });
    await world.eventually("the busy VM's alert to fire", async () => (await firedDeliveries()).length >= 1, { everyMs: 200 });
    const sent = await world.sim<{ sent: number }>("POST", "alertNotifications", { ruleId: busy.id, monitorCondition: "Fired", repeat: 4 });
    expect(sent.sent).toBe(4);
    await world.eventually("the alerted VM to be deallocated", async () => (await world.vms()).find((v) => v.id === busy.scopes[0])!.powerState === "deallocated", { everyMs: 300 });
    await new Promise((r) => setTimeout(r, 2000));
    expect((await deallocates()).filter((c) => c.vmId === busy.scopes[0])).toHaveLength(1);
    const deliveries = await firedDeliveries();
    expect(deliveries).toHaveLength(5);
    expect(deliveries.every((d) => d.status === 202 && !String(d.target).includes("code="))).toBe(true);
  }, 120_000);

  it("narrowing the scope deletes exactly the alerts of the VMs that left it; switching off leaves none", async () => {
    const before = (await world.armRequests()).length;
    const run = await autoStop(v2Body({ RequestScopes: { ...scopes, ExcludedVMLists: ["busy-001*"] } }));
    expect(run.counts).toMatchObject({ Deleted: 10, Unchanged: 290 });
    const deleted = (await alertWrites(before)).filter((r) => r.operation === "metricAlertDelete" && r.status === 200);
    expect(deleted.map((r) => r.path.split("/").pop()!.replace(/-[0-9a-f]{8}$/, "")).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `autostop-busy-001${i}`),
    );
    expect(await managedAlerts()).toHaveLength(290);

    const off = await autoStop(v2Body({ AutoStop_Enabled: false }));
    expect(off.state).toBe("Succeeded");
    expect(off.counts).toEqual({ Deleted: 290 });
    expect(await managedAlerts()).toEqual([]);
  }, 120_000);

  it("with Insights throttling and server errors injected, every alert still ends in place", async () => {
    await world.sim("POST", "faults", { match: { operation: "metricAlertPut" }, effect: { type: "http", status: 429, code: "TooManyRequests", message: "throttled", retryAfterSeconds: 5 }, probability: 0.3 });
    await world.sim("POST", "faults", { match: { operation: "metricAlertPut" }, effect: { type: "http", status: 500, code: "InternalServerError" }, probability: 0.2 });
    await world.sim("POST", "faults", { match: { operation: "metricAlertList" }, effect: { type: "http", status: 503, code: "ServiceUnavailable" }, count: 1 });
    const run = await autoStop(v2Body({ AutoStop_Name: "faulty", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-faulty/`] } }));
    expect(run.state).toBe("Succeeded");
    expect(run.counts).toEqual({ Created: 40 });
    const faulty = (await managedAlerts()).filter((a) => a.tags["startstop-autostop"] === "faulty");
    expect(faulty.map((a) => a.scopes[0].split("/").pop()).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `f-${String(i + 1).padStart(4, "0")}`));
    const refused = (await world.armRequests()).filter((r) => r.operation === "metricAlertPut" && r.status >= 429);
    expect(refused.length).toBeGreaterThan(0); // the faults really happened
    const status = (await world.callFunction("GET", `autostop/runs/${run.runId}`)).body;
    expect(status.vms.some((v: any) => v.attempts > 1)).toBe(true);
  }, 120_000);
});
