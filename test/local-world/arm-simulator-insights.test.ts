/**
 * The simulator's Microsoft.Insights, through the official `@azure/arm-monitor` client over HTTPS (the app's adapter
 * on top of it): metric alert round trips and idempotent PUTs, Insights' validation errors, RBAC and the ARM write
 * bucket; and Azure Monitor's behaviour: an idle VM's rule fires once and posts the common alert schema to the action
 * group's webhook (retried after a 500), resolves when the CPU rises, and a deallocated VM emits no data.
 */
import { eventually } from "../../src/local/eventually";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { MonitorClient } from "@azure/arm-monitor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArmSimulator, type RunningArmSimulator } from "../../src/local/arm-simulator";
import { ArmMetricAlertGateway } from "../../src/adapters/armMetricAlerts";
import { armClientOptions } from "../../src/adapters/armClient";
import { SIMULATOR_TOKEN, simulatorCredential } from "../../src/adapters/credentials";
import { desiredAlert } from "../../src/autostop/alertRule";
import { isArmRequestError } from "../../src/domain/armError";
import { principalOf } from "../../src/local/arm-simulator/principal";
import { requestJson } from "../../src/local/httpsJson";
import { SUB_A } from "../support/fleets";

let sim: RunningArmSimulator;
let gateway: ArmMetricAlertGateway;
let client: MonitorClient;
let receiver: Server;
const received: Array<{ body: any; answered: number }> = [];
let answers: number[] = [];
let actionGroupId: string;

const vm = (name: string) => ({ subscriptionId: SUB_A, resourceGroup: "rg-mon", name });
const vmPath = (name: string) => `/subscriptions/${SUB_A}/resourceGroups/rg-mon/providers/Microsoft.Compute/virtualMachines/${name}`;
const CONDITION = { metricName: "Percentage CPU", operator: "LessThan" as const, threshold: 5, timeAggregation: "Average" as const, evaluationFrequency: "PT1M", windowSize: "PT5M", severity: 3, description: "idle" };

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const answered = answers.shift() ?? 200;
      received.push({ body: JSON.parse(text), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
  sim = await startArmSimulator({
    fleet: { subscriptions: [{ subscriptionId: SUB_A, resourceGroups: [{ name: "rg-mon", location: "westeurope", vms: [], generate: [{ namePrefix: "m-", count: 4, powerState: "running" }] }] }] } as never,
    timeScale: 60,
  });
  const ca = path.join(mkdtempSync(path.join(tmpdir(), "ssv-insights-")), "ca.pem");
  writeFileSync(ca, sim.caCertPem);
  const settings = { endpoint: sim.url, credential: simulatorCredential(sim.url), caCertPath: ca, timeScale: 60 };
  gateway = new ArmMetricAlertGateway(settings);
  client = new MonitorClient(settings.credential, SUB_A, armClientOptions(settings));
  const port = (receiver.address() as AddressInfo).port;
  const group = await client.actionGroups.createOrUpdate("rg-mon", "ag-test", {
    location: "Global", groupShortName: "agtest", enabled: true,
    webhookReceivers: [{ name: "hook", serviceUri: `http://127.0.0.1:${port}/api/AutoStopVM?code=secret-key`, useCommonAlertSchema: true }],
  });
  actionGroupId = group.id!;
});
afterAll(async () => {
  await sim?.close();
  await new Promise((ok) => receiver?.close(ok));
});

const failureOf = async (call: () => Promise<unknown>) => {
  try {
    await call();
  } catch (error) {
    if (isArmRequestError(error)) return error.failure;
    throw error;
  }
  throw new Error("expected the call to fail");
};

describe("Microsoft.Insights in the simulator", () => {
  it("stores, returns, lists and deletes metric alerts; a second identical PUT keeps one rule", async () => {
    const alert = desiredAlert(vm("m-0001"), "default", CONDITION, "app", actionGroupId);
    await gateway.put(alert);
    await gateway.put(alert);
    expect(await gateway.get(SUB_A, "rg-mon", alert.name)).toMatchObject({ name: alert.name, scopes: [vmPath("m-0001")], criteria: [expect.objectContaining({ threshold: 5, operator: "LessThan" })], actionGroupIds: [actionGroupId], tags: alert.tags });
    expect((await gateway.listInResourceGroup(SUB_A, "rg-mon")).map((a) => a.name)).toEqual([alert.name]);
    const bySubscription = [];
    for await (const a of client.metricAlerts.listBySubscription()) bySubscription.push(a);
    expect(bySubscription).toHaveLength(1);
    expect(bySubscription[0]).toMatchObject({ type: "Microsoft.Insights/metricAlerts", location: "global", isMigrated: false });
    await gateway.delete(alert);
    await gateway.delete(alert); // absent: 204, no error
    expect(await gateway.get(SUB_A, "rg-mon", alert.name)).toBeUndefined();
    expect(await gateway.listInResourceGroup(SUB_A, "rg-missing")).toEqual([]);
  });

  it("refuses what Insights refuses, naming the property", async () => {
    const base = desiredAlert(vm("m-0001"), "default", CONDITION, "app", actionGroupId);
    expect(await failureOf(() => gateway.put({ ...base, windowSize: "PT2M" }))).toMatchObject({ status: 400, message: expect.stringMatching(/windowSize/) });
    expect(await failureOf(() => gateway.put({ ...base, evaluationFrequency: "PT1H", windowSize: "PT5M" }))).toMatchObject({ status: 400, message: expect.stringMatching(/greater than or equal/) });
    expect(await failureOf(() => gateway.put({ ...base, severity: 7 }))).toMatchObject({ status: 400, message: expect.stringMatching(/severity/) });
    expect(await failureOf(() => gateway.put({ ...base, criteria: [{ ...base.criteria[0]!, timeAggregation: "Last" }] }))).toMatchObject({ status: 400, message: expect.stringMatching(/timeAggregation/) });
    expect(await failureOf(() => gateway.put({ ...base, actionGroupIds: [`${actionGroupId}-gone`] }))).toMatchObject({ status: 400, message: expect.stringMatching(/action group/) });
    expect(await failureOf(() => gateway.put({ ...base, scopes: [vmPath("nope")] }))).toMatchObject({ status: 404, code: "ResourceNotFound" });
  });

  it("answers 403 without the role's action", async () => {
    sim.simulator.rbac.assign({ principal: principalOf(SIMULATOR_TOKEN), scope: `/subscriptions/${SUB_A}`, actions: ["Microsoft.Insights/metricAlerts/read"] });
    try {
      const failure = await failureOf(() => gateway.put(desiredAlert(vm("m-0002"), "default", CONDITION, "app", actionGroupId)));
      expect(failure).toMatchObject({ status: 403, code: "AuthorizationFailed", message: expect.stringMatching(/Microsoft\.Insights\/metricAlerts\/write/) });
    } finally {
      sim.simulator.rbac.reset();
    }
  });

  it("an idle VM's rule fires once with the common schema (retried after a 500), resolves when busy again; a busy one never fires", async () => {
    await requestJson(`${sim.url}/_sim/cpu`, { method: "POST", ca: sim.caCertPem, body: { vmIds: [vmPath("m-0003")], percent: 2 } });
    answers = [500, 200];
    received.length = 0;
    await gateway.put(desiredAlert(vm("m-0003"), "default", CONDITION, "app", actionGroupId));
    await gateway.put(desiredAlert(vm("m-0004"), "default", CONDITION, "app", actionGroupId));
    await eventually("two webhook deliveries", () => received.length >= 2, { everyMs: 100 });
    expect(received.map((r) => r.answered)).toEqual([500, 200]); // the same notification, delivered again after the 500
    const essentials = received[1]!.body.data.essentials;
    expect(received[1]!.body.schemaId).toBe("azureMonitorCommonAlertSchema");
    expect(essentials).toMatchObject({ signalType: "Metric", monitorCondition: "Fired", severity: "Sev3", alertTargetIDs: [vmPath("m-0003").toLowerCase()], monitoringService: "Platform" });
    expect(received[1]!.body.data.alertContext.condition.allOf[0]).toMatchObject({ metricName: "Percentage CPU", operator: "LessThan", threshold: "5" });
    expect(received[0]!.body).toEqual(received[1]!.body);

    await requestJson(`${sim.url}/_sim/cpu`, { method: "POST", ca: sim.caCertPem, body: { vmIds: [vmPath("m-0003")], percent: 80 } });
    await eventually("the Resolved notification", () => received.length >= 3, { everyMs: 100 });
    expect(received[2]!.body.data.essentials).toMatchObject({ monitorCondition: "Resolved", alertId: essentials.alertId });
    expect(received.filter((r) => r.body.data.essentials.alertTargetIDs[0].endsWith("/m-0004"))).toEqual([]);
    const deliveries = (await requestJson(`${sim.url}/_sim/webhooks`, { ca: sim.caCertPem })).body.deliveries;
    expect(deliveries.every((d: any) => !JSON.stringify(d).includes("secret-key"))).toBe(true);
  }, 60_000);

  it("a deallocated VM emits no data: its rule neither fires nor resolves", async () => {
    await requestJson(`${sim.url}${vmPath("m-0002")}/deallocate?api-version=2024-07-01`, { method: "POST", ca: sim.caCertPem, headers: { authorization: `Bearer ${SIMULATOR_TOKEN}` } });
    await requestJson(`${sim.url}/_sim/cpu`, { method: "POST", ca: sim.caCertPem, body: { vmIds: [vmPath("m-0002")], percent: 0 } });
    await gateway.put(desiredAlert(vm("m-0002"), "default", CONDITION, "app", actionGroupId));
    const before = received.length;
    await new Promise((r) => setTimeout(r, 8_000)); // 8 simulated minutes: more than the window
    expect(received.length).toBe(before);
    const rules = (await requestJson(`${sim.url}/_sim/metricAlerts`, { ca: sim.caCertPem })).body.alerts;
    expect(rules.find((r: any) => r.scopes[0] === vmPath("m-0002")).monitorCondition).toBe("None");
  }, 30_000);

  // Last: the emptied write bucket stays empty for this principal.
  it("answers 429 when ARM's write bucket is empty", async () => {
    sim.simulator.setLimits({ buckets: { armWrites: { burst: 1, refillPerSecond: 0.001 } } });
    try {
      await gateway.put(desiredAlert(vm("m-0002"), "default", CONDITION, "app", actionGroupId));
      expect(await failureOf(() => gateway.put(desiredAlert(vm("m-0003"), "default", CONDITION, "app", actionGroupId)))).toMatchObject({ status: 429 });
    } finally {
      sim.simulator.setLimits({});
    }
  });
});
