/**
 * AutoStopVM stops only on a warranted alert, end to end: Azure Monitor's own deliveries (secure-webhook tokens) and
 * a Monitoring Contributor's tricks are checked against the simulator's Insights and Alerts Management, and the
 * simulator's log of accepted deallocate calls is the judge. A forged alert id, a replay of a firing that resolved
 * since, and a look-alike rule (another group, our rule's name and tags, always firing) deallocate nothing; a real
 * firing still does.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_GROUPS_PRINCIPAL, World, generatedFleet } from "../../src/local/world";
import { requestJson } from "../../src/local/httpsJson";
import { SUB_A, vmIdOf } from "../support/fleets";

const RG = "rg-w";
const ATTACKER = "bad0bad0-0000-4000-8000-00000000a77a";
let world: World;

beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet([
      { subscriptionId: SUB_A, resourceGroup: RG, location: "westeurope", count: 3, powerState: "running", namePrefix: "w-" },
      { subscriptionId: SUB_A, resourceGroup: "rg-attacker", location: "westeurope", count: 1, powerState: "deallocated", namePrefix: "decoy-" },
    ]),
    timeScale: 30,
  });
  // A Monitoring Contributor of both groups: it may write alert rules, it may not power VMs.
  for (const rg of [RG, "rg-attacker"]) world.armSimulator.rbac.assign({ principal: ATTACKER, scope: `/subscriptions/${SUB_A}/resourceGroups/${rg}`, actions: ["Microsoft.Insights/metricAlerts/*", "*/read"] });
  const res = await world.callFunction("POST", "AutoStop", {
    Action: "stop", AutoStop_MetricName: "Percentage CPU", AutoStop_Condition: "LessThan", AutoStop_Threshold: "5", AutoStop_Frequency: "00:01:00",
    AutoStop_TimeWindow: "00:05:00", AutoStop_TimeAggregationOperator: "Average", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/${RG}/`] },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await world.eventually("the AutoStop run", async () => (await world.callFunction("GET", `autostop/runs/${res.body.runId}`)).body.state === "Succeeded");
});
afterAll(async () => world?.stop());

const vm = (n: number) => vmIdOf(SUB_A, RG, `w-${String(n).padStart(4, "0")}`);
const deallocates = async () => (await world.armRequests()).filter((r) => r.operation === "deallocate" && r.status < 300).map((r) => r.vmId);
const powerOf = async (id: string) => (await world.vms()).find((v) => v.id === id)!.powerState;
const ruleOf = async (id: string) => (await world.sim<{ alerts: any[] }>("GET", "metricAlerts")).alerts.find((a) => a.scopes[0].toLowerCase() === id.toLowerCase() && a.tags["startstop-managed-by"])!;
const refusals = () => world.hostLogs().filter((l) => l.includes('"AutoStopAlertRefused"')).map((l) => JSON.parse(l.slice(l.indexOf("{"))).reason as string);
/** What Azure Monitor would post for a rule: only the body, with our action group's token. */
const post = (rule: string, target: string, alertId: string) => world.callAs(ACTION_GROUPS_PRINCIPAL, "POST", "AutoStopVM", {
  schemaId: "azureMonitorCommonAlertSchema",
  data: { essentials: { alertId, alertRule: rule, signalType: "Metric", monitorCondition: "Fired", alertTargetIDs: [target.toLowerCase()] }, alertContext: {} },
});

describe("AutoStopVM acts only on a warranted stop", () => {
  it("a forged alert (an id Azure Monitor never raised) deallocates nothing", async () => {
    const rule = await ruleOf(vm(1));
    const res = await post(rule.name, vm(1), `/subscriptions/${SUB_A}/providers/Microsoft.AlertsManagement/alerts/0f0f0f0f-0000-4000-8000-00000000f0f0`);
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/no alert/);
    expect(await deallocates()).toEqual([]);
  });

  it("a look-alike rule in another group, with our rule's name and tags and an always-true threshold, deallocates nothing", async () => {
    const ours = await ruleOf(vm(2));
    const token = world.entra.token({ audience: "https://management.azure.com/", objectId: ATTACKER });
    const headers = { authorization: `Bearer ${token}` };
    const got = await requestJson(`${world.simUrl}${ours.id}?api-version=2018-03-01`, { headers, ca: world.caCertPem });
    expect(got.status).toBe(200);
    const copy = structuredClone(got.body);
    copy.properties.criteria.allOf[0].threshold = 100; // CPU < 100 %: fires at once
    const lookAlike = `/subscriptions/${SUB_A}/resourceGroups/rg-attacker/providers/Microsoft.Insights/metricAlerts/${ours.name}`;
    const put = await requestJson(`${world.simUrl}${lookAlike}?api-version=2018-03-01`, { method: "PUT", headers, ca: world.caCertPem, body: { location: "global", tags: copy.tags, properties: copy.properties } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // Azure Monitor really fires it, and really posts it to our webhook with a valid token.
    const delivery = await world.eventually("the look-alike's delivery", async () => (await world.sim<{ deliveries: any[] }>("GET", "webhooks")).deliveries.find((d) => d.ruleId === lookAlike && d.status), { everyMs: 200 });
    expect(delivery.status).toBe(403);
    expect(refusals()).toContain("alert-of-another-rule");
    expect(await powerOf(vm(2))).toBe("running");
    expect(await deallocates()).toEqual([]);
    // Its ARM token powers nothing either.
    const direct = await requestJson(`${world.simUrl}${vm(2)}/deallocate?api-version=2024-07-01`, { method: "POST", headers, ca: world.caCertPem });
    expect(direct.status).toBe(403);
  });

  it("a real firing still deallocates its VM, and a replay of it after it resolved deallocates nothing", async () => {
    await world.sim("POST", "cpu", { vmIds: [vm(3)], percent: 1 });
    await world.eventually("the idle VM to be deallocated by its alert", async () => (await powerOf(vm(3))) === "deallocated", { everyMs: 300 });
    expect(await deallocates()).toEqual([vm(3)]);
    const rule = await ruleOf(vm(3));
    const firing = (await world.sim<{ alerts: any[] }>("GET", "alerts")).alerts.find((a) => a.ruleId === rule.id)!;
    expect(firing.monitorCondition).toBe("Fired");

    // Someone starts it again and it is busy: the alert resolves.
    await world.sim("POST", "cpu", { vmIds: [vm(3)], percent: 60 });
    const start = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { VMLists: [vm(3)] } });
    expect((await world.waitForRequest(start.body.requestId)).state).toBe("Succeeded");
    await world.eventually("the firing to resolve", async () => (await world.sim<{ alerts: any[] }>("GET", "alerts")).alerts.find((a) => a.id === firing.id)!.monitorCondition === "Resolved", { everyMs: 300 });

    // The old Fired notification, replayed with a genuine token: refused, the VM keeps running.
    const replay = await post(rule.name, vm(3), firing.id);
    expect(replay.status).toBe(403);
    expect(replay.body.detail).toMatch(/Resolved/);
    expect(await powerOf(vm(3))).toBe("running");
    expect(await deallocates()).toEqual([vm(3)]);
    expect(refusals()).toEqual(expect.arrayContaining(["alert-not-found", "alert-of-another-rule", "alert-not-fired"]));
  });
});
