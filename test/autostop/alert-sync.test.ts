/**
 * AutoStop's sync and webhook rules, replayed deterministically with the in-memory twins of Insights, Compute, the
 * stores and the queues (AutoStop's own code runs unchanged). The end-to-end twin of these runs against the ARM
 * simulator in test/integration/autostop.test.ts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryAutoStopStore } from "../twins/memoryAutoStopStore";
import { MemoryCompute } from "../twins/memoryCompute";
import { MemoryDesiredStateStore } from "../twins/memoryDesiredStateStore";
import { MemoryMaintenanceCalendar } from "../twins/memoryMaintenanceCalendar";
import { MemoryBudgetLedger } from "../twins/memoryBudgetLedger";
import { MemoryMetricAlerts } from "../twins/memoryMetricAlerts";
import { MemoryAlertInstances } from "../twins/memoryAlertInstances";
import { MemoryQueue } from "../twins/memoryQueue";
import { MemoryRequestStore } from "../twins/memoryRequestStore";
import { alertId, alertName, desiredAlert } from "../../src/autostop/alertRule";
import type { AutoStopDeps, AutoStopMessage } from "../../src/autostop/autoStopDeps";
import { parseAutoStopRequest, type AutoStopRequest } from "../../src/autostop/autoStopRequest";
import type { AutoStopConfiguration } from "../../src/autostop/autoStopStore";
import { runSync, startSync } from "../../src/autostop/syncAlerts";
import { stopOnAlert } from "../../src/autostop/stopOnAlert";
import { DEFAULT_BREAKER } from "../../src/domain/circuitBreaker";
import { DOCUMENTED_BUDGET, TokenBuckets } from "../../src/domain/pacing";
import { vmId, type VmRef } from "../../src/domain/resourceId";
import { DEFAULT_RETRY_POLICY } from "../../src/domain/retryPolicy";
import { Backpressure } from "../../src/engine/backpressure";
import type { EngineDeps } from "../../src/engine/ports";
import type { OrchestrationMessage } from "../../src/engine/records";
import { StdoutTelemetry } from "../../src/telemetry/telemetry";

const SUB = "aaaaaaaa-0000-4000-8000-000000000001";
const AG = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Insights/actionGroups/StartStopVMs_AutoStop`;
const ref = (name: string, resourceGroup = "rg-dev"): VmRef => ({ subscriptionId: SUB, resourceGroup, name });

let compute: MemoryCompute;
let alerts: MemoryMetricAlerts;
let instances: MemoryAlertInstances;
let store: MemoryAutoStopStore;
let queue: MemoryQueue<AutoStopMessage>;
let deps: AutoStopDeps;
let now: number;
let events: string[];

beforeEach(() => {
  now = Date.parse("2026-11-23T06:00:00Z");
  compute = new MemoryCompute();
  alerts = new MemoryMetricAlerts();
  instances = new MemoryAlertInstances();
  alerts.actionGroups.set(AG.toLowerCase(), { id: AG, enabled: true, webhooks: [{ name: "AutoStopVM", target: "https://func-x.azurewebsites.net/api/AutoStopVM", useCommonAlertSchema: true }] });
  store = new MemoryAutoStopStore();
  queue = new MemoryQueue<AutoStopMessage>();
  events = [];
  for (let i = 1; i <= 6; i++) compute.add(ref(`dev-${i}`), "running");
  for (let i = 1; i <= 3; i++) compute.add(ref(`web-${i}`, "rg-web"), "running");
  deps = {
    compute, alerts, instances, store, queue,
    clock: { now: () => new Date(now), sleep: async (s) => void (now += s * 1000), appSeconds: (s) => s, realSeconds: (s) => s },
    random: () => 0.5,
    retry: DEFAULT_RETRY_POLICY,
    writeBuckets: new TokenBuckets(DOCUMENTED_BUDGET.armWrites),
    telemetry: new StdoutTelemetry((line) => events.push(line)),
    settings: { managedBy: "func-test", actionGroupId: AG, runDeadlineMinutes: 60 },
    log: () => undefined,
  };
});

function body(over: Record<string, unknown> = {}, scopes: Record<string, unknown> = { ResourceGroups: [`/subscriptions/${SUB}/resourceGroups/rg-dev/`, `/subscriptions/${SUB}/resourceGroups/rg-web/`] }): AutoStopRequest {
  const parsed = parseAutoStopRequest({ Action: "stop", AutoStop_Threshold: "5", AutoStop_TimeWindow: "00:30:00", RequestScopes: scopes, ...over }, { maxScopeEntries: 100 });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

/** What POST /api/AutoStop does, then what the executor does with the message. */
async function sync(request: AutoStopRequest) {
  const previous = await store.getConfiguration(request.name);
  const configuration: AutoStopConfiguration = { name: request.name, enabled: request.enabled, scopes: request.scopes, condition: request.condition, alertResourceGroups: previous?.alertResourceGroups ?? [], updatedAt: new Date(now) };
  await store.saveConfiguration({ ...configuration, etag: previous?.etag });
  const run = await startSync(deps, configuration, "request");
  for (const m of queue.take()) await runSync(deps, m.runId);
  return { run: (await store.getRun(run.runId))!, outcomes: await store.listOutcomes(run.runId) };
}

const watched = () => [...alerts.alerts.values()].map((a) => a.scopes[0]!.split("/").pop()).sort();

describe("AutoStop sync", () => {
  it("gives every VM in scope one alert, pointing at the action group, tagged as ours", async () => {
    const { run, outcomes } = await sync(body());
    expect(run.state).toBe("Succeeded");
    expect(watched()).toEqual(["dev-1", "dev-2", "dev-3", "dev-4", "dev-5", "dev-6", "web-1", "web-2", "web-3"]);
    expect(outcomes.every((o) => o.outcome === "Created")).toBe(true);
    const one = [...alerts.alerts.values()][0]!;
    expect(one).toMatchObject({ actionGroupIds: [AG], tags: { "startstop-managed-by": "func-test", "startstop-autostop": "default" }, windowSize: "PT30M" });
    expect(events.some((e) => e.includes('"AutoStopAlertsSynced"') && e.includes('"Created":9'))).toBe(true);
  });

  it("a rerun of the same body writes nothing", async () => {
    await sync(body());
    const before = alerts.writes.length;
    const { run, outcomes } = await sync(body());
    expect(alerts.writes.length).toBe(before);
    expect(run.state).toBe("Succeeded");
    expect(outcomes.every((o) => o.outcome === "Unchanged")).toBe(true);
  });

  it("a changed threshold updates every alert in place (PUT on the same names, no delete)", async () => {
    await sync(body());
    alerts.writes.length = 0;
    const { outcomes } = await sync(body({ AutoStop_Threshold: "10" }));
    expect(alerts.writes.map((w) => w.method)).toEqual(Array(9).fill("PUT"));
    expect(outcomes[0]!.detail).toMatch(/threshold/);
    expect(alerts.alerts.size).toBe(9);
  });

  it("narrowing the scope deletes exactly the alerts of the VMs that left it", async () => {
    await sync(body());
    alerts.writes.length = 0;
    await sync(body({}, { ResourceGroups: [`/subscriptions/${SUB}/resourceGroups/rg-dev/`], ExcludedVMLists: ["dev-6"] }));
    expect(watched()).toEqual(["dev-1", "dev-2", "dev-3", "dev-4", "dev-5"]);
    expect(alerts.writes.filter((w) => w.method === "DELETE").map((w) => w.id.split("/").pop()).sort()).toEqual(
      ["dev-6", "web-1", "web-2", "web-3"].map((n) => alertName(ref(n, n.startsWith("web") ? "rg-web" : "rg-dev"), "default")).sort(),
    );
    expect(alerts.writes.some((w) => w.method === "PUT")).toBe(false);
  });

  it("a VM tagged ssv2excludevm=true or deleted loses its alert at the next sync", async () => {
    await sync(body());
    compute.vms.get(vmId(ref("dev-1")).toLowerCase())!.info.tags = { ssv2excludevm: "true" };
    compute.vms.delete(vmId(ref("dev-2")).toLowerCase());
    const { outcomes } = await sync(body());
    expect(watched()).not.toContain("dev-1");
    expect(watched()).not.toContain("dev-2");
    expect(outcomes.filter((o) => o.outcome === "Deleted").map((o) => o.vmId.split("/").pop()).sort()).toEqual(["dev-1", "dev-2"]);
  });

  it("switching off leaves no alert of the configuration, and touches nobody else's", async () => {
    await sync(body());
    const foreign = { ...desiredAlert(ref("dev-1"), "default", body().condition, "someone-else", AG), name: "their-alert" };
    await alerts.put(foreign);
    const { run } = await sync(body({ AutoStop_Enabled: false }));
    expect(run.state).toBe("Succeeded");
    expect([...alerts.alerts.values()].map((a) => a.name)).toEqual(["their-alert"]);
    expect((await store.getConfiguration("default"))!.alertResourceGroups).toEqual([]);
  });

  it("throttling and server errors are retried until every alert is in place", async () => {
    alerts.refuseNext = [
      { status: 429, code: "TooManyRequests", message: "slow down", retryAfterSeconds: 20 },
      { status: 500, code: "InternalServerError", message: "oops" },
      { status: 503, code: "ServiceUnavailable", message: "later" },
    ];
    alerts.refuseNextWrite = [
      { status: 429, code: "TooManyRequests", message: "slow down", retryAfterSeconds: 20 },
      { status: 500, code: "InternalServerError", message: "oops" },
      { status: 502, code: "BadGateway", message: "oops" },
    ];
    const { run, outcomes } = await sync(body());
    expect(run.state).toBe("Succeeded");
    expect(alerts.alerts.size).toBe(9);
    expect(alerts.writes.length).toBe(9);
    expect(outcomes.reduce((n, o) => n + o.attempts, 0)).toBe(12);
  });

  it("a permanent refusal fails that VM only, with ARM's code, and the run says PartiallySucceeded", async () => {
    await sync(body({}, { VMLists: [vmId(ref("dev-1"))] }));
    alerts.alerts.clear();
    alerts.refuseNextWrite = [{ status: 403, code: "AuthorizationFailed", message: "no metricAlerts/write" }];
    const { run, outcomes } = await sync(body());
    expect(run.state).toBe("PartiallySucceeded");
    expect(outcomes.filter((o) => o.outcome === "Failed")).toEqual([expect.objectContaining({ errorCode: "AuthorizationFailed" })]);
  });

  it("a scope that cannot be read keeps its alerts instead of taking them for leftovers", async () => {
    await sync(body());
    alerts.writes.length = 0;
    const list = compute.listVmsInResourceGroup.bind(compute);
    compute.listVmsInResourceGroup = async (s, rg) => {
      if (rg === "rg-web") throw new (await import("../../src/domain/armError.js")).ArmRequestError({ status: 403, code: "AuthorizationFailed", message: "role removed" });
      return list(s, rg);
    };
    const { run } = await sync(body());
    expect(alerts.writes).toEqual([]);
    expect(watched()).toContain("web-1");
    expect(run.message).toMatch(/kept: .*rg-web.*AuthorizationFailed/);
  });

  it("without the action group nothing is written and the run says what to fix", async () => {
    alerts.actionGroups.clear();
    const { run } = await sync(body());
    expect(run.state).toBe("Failed");
    expect(run.message).toMatch(/does not exist/);
    expect(alerts.writes).toEqual([]);
  });
});

describe("AutoStopVM", () => {
  let engine: EngineDeps;
  let orchestration: MemoryQueue<OrchestrationMessage>;

  beforeEach(async () => {
    orchestration = new MemoryQueue<OrchestrationMessage>();
    engine = {
      compute, store: new MemoryRequestStore(), desiredStates: new MemoryDesiredStateStore(), maintenance: new MemoryMaintenanceCalendar(), orchestrationQueue: orchestration, executionQueue: new MemoryQueue(),
      clock: deps.clock, random: () => 0.5, backpressure: new Backpressure(DOCUMENTED_BUDGET, DEFAULT_BREAKER), budget: new MemoryBudgetLedger(DOCUMENTED_BUDGET),
      settings: { deadlineMinutes: 120, verifyIntervalSeconds: 15, stallGraceSeconds: 300, singleReadThreshold: 10, verifyListVmsPerSecond: 200, retry: DEFAULT_RETRY_POLICY, pacing: DOCUMENTED_BUDGET, budgetCallWindowSeconds: 10 },
      log: () => undefined, finishedListeners: [],
    };
    await sync(body());
  });

  const INSTANCE = `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/0b1e5a11-0000-4000-8000-000000000001`;
  const fired = (name: string, over: { rule?: string; instance?: string; condition?: "Fired" | "Resolved"; vm?: VmRef } = {}) => ({
    alertInstanceId: over.instance ?? INSTANCE,
    ruleName: over.rule ?? alertName(ref(name), "default"),
    vm: over.vm ?? { ...ref(name), resourceGroup: "rg-dev" },
    condition: over.condition ?? "Fired",
  });
  /** Azure Monitor raises an alert instance of our rule on that VM (what the Alerts Management API then shows). */
  const raise = (name: string, id = INSTANCE) => instances.fire({ id, alertRuleId: alertId({ subscriptionId: SUB, resourceGroup: "rg-dev", name: alertName(ref(name), "default") }), targetResourceId: vmId(ref(name)) });
  const refusals = () => events.map((l) => JSON.parse(l)).filter((e) => e.name === "AutoStopAlertRefused").map((e) => e.reason);
  const stop = (n: ReturnType<typeof fired>) => stopOnAlert(engine, deps, n);

  it("a warranted firing starts one stop request for its VM; five deliveries of it still one", async () => {
    raise("dev-3");
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => stop(fired("dev-3"))));
    const ids = new Set(verdicts.map((v) => (v.kind === "stopping" ? v.request.requestId : v.kind)));
    expect(ids.size).toBe(1);
    expect(orchestration.sent).toHaveLength(1);
    const request = verdicts[0]!.kind === "stopping" ? verdicts[0]!.request : undefined;
    expect(request?.action).toBe("stop");
    expect(request?.request.scopes.vms).toEqual([expect.objectContaining({ name: "dev-3" })]);
  });

  it("a forged alert (an id Azure Monitor never raised) stops nothing", async () => {
    expect(await stop(fired("dev-3"))).toMatchObject({ kind: "refused", code: "alert-not-found" });
    expect(await stop(fired("dev-3", { instance: "/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/forged" }))).toMatchObject({ kind: "refused", code: "alert-not-found" });
    expect(orchestration.sent).toHaveLength(0);
    expect(refusals()).toEqual(["alert-not-found", "alert-not-found"]);
  });

  it("a replayed alert (an old firing, resolved since) stops nothing", async () => {
    raise("dev-3");
    instances.resolve(INSTANCE);
    expect(await stop(fired("dev-3"))).toMatchObject({ kind: "refused", code: "alert-not-fired" });
    expect(orchestration.sent).toHaveLength(0);
  });

  it("a look-alike rule elsewhere, named like ours and aimed at our VM, stops nothing", async () => {
    // The instance really fired, but from a rule in another group that copied our rule's name and tags.
    const lookAlike = alertId({ subscriptionId: SUB, resourceGroup: "rg-attacker", name: alertName(ref("dev-3"), "default") });
    instances.fire({ id: INSTANCE, alertRuleId: lookAlike, targetResourceId: vmId(ref("dev-3")) });
    expect(await stop(fired("dev-3"))).toMatchObject({ kind: "refused", code: "alert-of-another-rule" });
    // Our rule's alert, posted for another VM of the group.
    raise("dev-4");
    expect(await stop(fired("dev-4", { vm: ref("dev-4") }))).toMatchObject({ kind: "stopping" });
    instances.fire({ id: `${INSTANCE.slice(0, -1)}2`, alertRuleId: alertId({ subscriptionId: SUB, resourceGroup: "rg-dev", name: alertName(ref("dev-5"), "default") }), targetResourceId: vmId(ref("dev-6")) });
    expect(await stop(fired("dev-5", { instance: `${INSTANCE.slice(0, -1)}2` }))).toMatchObject({ kind: "refused", code: "alert-on-another-vm" });
    expect(orchestration.sent).toHaveLength(1);
  });

  it("our rule edited to always fire (threshold 100) is not ours any more, and stops nothing", async () => {
    const rule = (await alerts.get(SUB, "rg-dev", alertName(ref("dev-3"), "default")))!;
    await alerts.put({ ...rule, criteria: [{ ...rule.criteria[0]!, operator: "LessThan", threshold: 100 }] });
    raise("dev-3");
    const verdict = await stop(fired("dev-3"));
    expect(verdict).toMatchObject({ kind: "refused", code: "rule-differs" });
    expect(verdict.kind === "refused" && verdict.reason).toMatch(/threshold/);
  });

  it("each link of the warrant is checked: disabled rule, another action group, configuration off or gone, VM excluded or out of scope", async () => {
    raise("dev-3");
    const name = alertName(ref("dev-3"), "default");
    const rule = (await alerts.get(SUB, "rg-dev", name))!;
    await alerts.put({ ...rule, enabled: false });
    expect(await stop(fired("dev-3"))).toMatchObject({ code: "rule-disabled" });
    await alerts.put({ ...rule, actionGroupIds: [`/subscriptions/${SUB}/resourceGroups/rg-x/providers/Microsoft.Insights/actionGroups/theirs`] });
    expect(await stop(fired("dev-3"))).toMatchObject({ code: "rule-not-our-action-group" });
    await alerts.put(rule);
    const configuration = (await store.getConfiguration("default"))!;
    // Each change is saved over the row as it is now (the store is etag-checked).
    const reconfigure = async (change: Partial<AutoStopConfiguration>) => {
      const current = (await store.getConfiguration("default"))!;
      expect(await store.saveConfiguration({ ...current, ...change })).toBe(true);
    };
    await reconfigure({ enabled: false });
    expect(await stop(fired("dev-3"))).toMatchObject({ code: "configuration-disabled" });
    await reconfigure({ enabled: true, scopes: { ...configuration.scopes, resourceGroups: configuration.scopes.resourceGroups.filter((g) => g.resourceGroup !== "rg-dev") } });
    expect(await stop(fired("dev-3"))).toMatchObject({ code: "vm-out-of-scope" });
    await reconfigure({ scopes: { ...configuration.scopes, exclusions: [{ kind: "name", name: "dev-3" }] } });
    expect(await stop(fired("dev-3"))).toMatchObject({ code: "vm-excluded" });
    await alerts.put({ ...rule, tags: { ...rule.tags, "startstop-autostop": "gone" }, name });
    expect(await stop(fired("dev-3"))).toMatchObject({ code: "rule-watches-another-vm" }); // the name is per configuration
    expect(orchestration.sent).toHaveLength(0);
    expect(refusals()).toEqual(["rule-disabled", "rule-not-our-action-group", "configuration-disabled", "vm-out-of-scope", "vm-excluded", "rule-watches-another-vm"]);
  });

  it("refuses what is not our live alert on that VM, and Resolved does nothing", async () => {
    raise("dev-3");
    expect(await stop(fired("dev-3", { rule: "made-up" }))).toMatchObject({ kind: "refused", status: 404 });
    // Another VM's alert posted for this VM: it exists and is ours, but does not watch dev-3.
    expect(await stop(fired("dev-3", { rule: alertName(ref("dev-4"), "default") }))).toMatchObject({ kind: "refused", status: 403 });
    expect(await stopOnAlert(engine, { ...deps, settings: { ...deps.settings, managedBy: "other-deployment" } }, fired("dev-3"))).toMatchObject({ kind: "refused", status: 403 });
    // The right rule name, but posted for another VM in the same group.
    expect(await stop(fired("dev-3", { vm: ref("dev-5") }))).toMatchObject({ kind: "refused", status: 403 });
    expect(await stop(fired("dev-3", { condition: "Resolved" }))).toMatchObject({ kind: "ignored" });
    expect(orchestration.sent).toHaveLength(0);
  });
});
