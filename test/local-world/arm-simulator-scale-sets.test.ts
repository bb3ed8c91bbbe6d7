/**
 * Uniform scale sets in the ARM simulator, through the official @azure/arm-compute client over HTTPS: list/get sets
 * and instances, batched start/deallocate/powerOff with per-instance outcomes, per-instance charges in the scale-set
 * buckets, refusals that change nothing, and RBAC. Outcomes are checked against the simulator's own state and log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "node:https";
import { ComputeManagementClient } from "@azure/arm-compute";
import { MonitorClient } from "@azure/arm-monitor";
import type { TokenCredential } from "@azure/core-auth";
import { startArmSimulator, type ControlScaleSet, type FleetSpec, type RequestLogEntry } from "../../src/local/arm-simulator/index";
import { principalOf } from "../../src/local/arm-simulator/principal";

const SUB = "33333333-3333-3333-3333-333333333333";
const RG = "rg-batch";
const AKS_RG = "MC_rg-aks_aks-prod_westeurope";
const API = "api-version=2026-03-01";

const fleet: FleetSpec = {
  durations: { start: { minSeconds: 30, maxSeconds: 180 }, deallocate: { minSeconds: 30, maxSeconds: 120 }, powerOff: { minSeconds: 10, maxSeconds: 30 } },
  subscriptions: [
    {
      subscriptionId: SUB,
      resourceGroups: [
        {
          name: RG,
          location: "westeurope",
          vms: [{ name: "plain-vm", powerState: "running" }],
          scaleSets: [
            { name: "workers", orchestrationMode: "Uniform", capacity: 20, sku: "Standard_D4s_v5", tags: { env: "prod", sequencestart: "2" }, failingStartInstances: ["7"] },
            { name: "web", orchestrationMode: "Uniform", capacity: 3, powerState: "running", osType: "Windows", location: "northeurope", autoscale: { enabled: true } },
          ],
        },
        {
          name: "rg-other",
          location: "westeurope",
          vms: [
            { name: "flex-0", powerState: "running", flexibleScaleSet: "flex" },
            { name: "flex-1", powerState: "running", flexibleScaleSet: "flex" },
            { name: "loose-0", flexibleScaleSet: "undeclared-flex" },
          ],
          scaleSets: [
            { name: "tiny", orchestrationMode: "Uniform", capacity: 1 },
            { name: "flex", orchestrationMode: "Flexible", tags: { tier: "app" } },
          ],
        },
        {
          name: AKS_RG,
          location: "westeurope",
          scaleSets: [
            {
              name: "aks-nodepool1-12345678-vmss",
              orchestrationMode: "Uniform",
              capacity: 3,
              powerState: "running",
              tags: { "aks-managed-poolName": "nodepool1", "aks-managed-createOperationID": "0b6a1c52-8d1e-4f4e-9a57-3c1b5c2d7e10", "aks-managed-orchestrator": "Kubernetes:1.30" },
              autoscale: { enabled: true },
            },
          ],
        },
      ],
    },
  ],
};

const credential: TokenCredential = { getToken: async () => ({ token: "scale-set-test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

let sim: Awaited<ReturnType<typeof startArmSimulator>>;
let client: ComputeManagementClient;
let monitor: MonitorClient;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

function call(method: string, path: string, opts: { body?: unknown; token?: string } = {}): Promise<RawResponse> {
  const url = new URL(path, sim.url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? "raw-token"}` };
  if (payload) headers["content-type"] = "application/json";
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: sim.caCertPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

const setPath = (name: string, rg = RG) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
const controlSet = async (name: string, rg = RG): Promise<ControlScaleSet> => (await call("GET", `/_sim/scaleSets/${encodeURIComponent(setPath(name, rg))}`)).body;
const powerStates = async (name: string) => Object.fromEntries((await controlSet(name)).instances.map((i) => [i.instanceId, i.powerState]));
const requests = async (): Promise<RequestLogEntry[]> => (await call("GET", "/_sim/requests")).body.requests;
const setTimeScale = (timeScale: number) => call("PUT", "/_sim/clock", { body: { timeScale } });
const advance = (seconds: number) => call("POST", "/_sim/clock/advance", { body: { seconds } });

beforeAll(async () => {
  sim = await startArmSimulator({ timeScale: 1, seed: 11, pageSize: 8 });
  client = new ComputeManagementClient(credential, SUB, { endpoint: sim.url, retryOptions: { maxRetries: 0 }, tlsOptions: { ca: sim.caCertPem } });
  monitor = new MonitorClient(credential, SUB, { endpoint: sim.url, retryOptions: { maxRetries: 0 }, tlsOptions: { ca: sim.caCertPem } });
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(async () => {
  await call("POST", "/_sim/reset");
  await call("POST", "/_sim/fleet", { body: fleet });
});

describe("Uniform scale sets through the real @azure/arm-compute client", () => {
  it("lists and gets sets (subscription, resource group) with mode, capacity, sku, tags and OS, apart from the VMs", async () => {
    const all = [];
    for await (const set of client.virtualMachineScaleSets.listAll()) all.push(set);
    expect(all.map((s) => [s.name, s.orchestrationMode, s.sku?.capacity])).toEqual([
      ["workers", "Uniform", 20],
      ["web", "Uniform", 3],
      ["tiny", "Uniform", 1],
      ["flex", "Flexible", 2],
      ["aks-nodepool1-12345678-vmss", "Uniform", 3],
      // A VM naming a set the fleet does not declare makes a Flexible set of that name.
      ["undeclared-flex", "Flexible", 1],
    ]);
    const inGroup = [];
    for await (const set of client.virtualMachineScaleSets.list(RG)) inGroup.push(set.name);
    expect(inGroup).toEqual(["workers", "web"]);
    const workers = await client.virtualMachineScaleSets.get(RG, "workers");
    expect(workers).toMatchObject({
      id: setPath("workers"),
      name: "workers",
      type: "Microsoft.Compute/virtualMachineScaleSets",
      location: "westeurope",
      tags: { env: "prod", sequencestart: "2" },
      sku: { name: "Standard_D4s_v5", capacity: 20 },
      orchestrationMode: "Uniform",
      virtualMachineProfile: { storageProfile: { osDisk: { osType: "Linux" } } },
    });
    // Uniform instances are not VM resources: the VM list holds only the plain VM.
    const vms = [];
    for await (const vm of client.virtualMachines.list(RG)) vms.push(vm.name);
    expect(vms).toEqual(["plain-vm"]);
    await expect(client.virtualMachineScaleSets.get(RG, "nope")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });

  it("pages the instances with their instance views, and gets one instance and its instance view", async () => {
    const instances = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(RG, "workers", { expand: "instanceView" })) instances.push(vm);
    expect(instances.map((i) => i.instanceId)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(instances[3]).toMatchObject({ id: `${setPath("workers")}/virtualMachines/3`, name: "workers_3", instanceId: "3" });
    expect(instances[3]!.tags).toBeUndefined();
    expect(instances[3]!.instanceView?.statuses?.map((s) => s.code)).toEqual(["ProvisioningState/succeeded", "PowerState/deallocated"]);
    const raw = await call("GET", `${setPath("workers")}/virtualMachines?${API}`);
    expect(raw.body.value).toHaveLength(8);
    expect(raw.body.nextLink).toContain("$skiptoken=8");
    const one = await client.virtualMachineScaleSetVMs.get(RG, "web", "2");
    expect(one).toMatchObject({ instanceId: "2", name: "web_2", location: "northeurope" });
    const view = await client.virtualMachineScaleSetVMs.getInstanceView(RG, "web", "2");
    expect(view.statuses?.map((s) => s.code)).toEqual(["ProvisioningState/succeeded", "PowerState/running"]);
    await expect(client.virtualMachineScaleSetVMs.get(RG, "web", "9")).rejects.toMatchObject({ statusCode: 404 });
  });

  it("starts only the instances named, each through its own transition, and logs the ids the call carried", async () => {
    await setTimeScale(2000);
    await (await client.virtualMachineScaleSets.beginStart(RG, "workers", { vmInstanceIDs: { instanceIds: ["0", "3"] }, updateIntervalInMs: 20 })).pollUntilDone();
    const states = await powerStates("workers");
    expect(states["0"]).toBe("running");
    expect(states["3"]).toBe("running");
    expect(Object.values(states).filter((s) => s === "running")).toHaveLength(2);
    const set = await controlSet("workers");
    expect(set.instances[0]!.history.map((h) => h.powerState)).toEqual(["deallocated", "starting", "running"]);
    expect(set.instances[1]!.history.map((h) => h.powerState)).toEqual(["deallocated"]);
    // Each instance drew its own duration.
    const end = (i: number) => set.instances[i]!.history[2]!.time;
    expect(end(0)).not.toBe(end(3));
    const starts = (await requests()).filter((r) => r.operation === "scaleSetStart");
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ status: 202, scaleSetId: setPath("workers"), instanceIds: ["0", "3"], region: "westeurope" });
  });

  it("an empty body acts on every instance; a failing-start instance fails alone, stays deallocated and is named", async () => {
    await setTimeScale(2000);
    const poller = await client.virtualMachineScaleSets.beginStart(RG, "workers", { updateIntervalInMs: 20 });
    await expect(poller.pollUntilDone()).rejects.toThrow(/instance\(s\) of the scale set 'workers': 7\./);
    const set = await controlSet("workers");
    const seven = set.instances[7]!;
    expect(seven).toMatchObject({ powerState: "deallocated", provisioningState: "Failed", failure: { code: "AllocationFailed" } });
    expect(set.instances.filter((i) => i.powerState === "running")).toHaveLength(19);
    expect((await client.virtualMachineScaleSetVMs.getInstanceView(RG, "workers", "7")).statuses?.map((s) => s.code)).toEqual([
      "ProvisioningState/failed/AllocationFailed",
      "PowerState/deallocated",
    ]);
    const start = (await requests()).find((r) => r.operation === "scaleSetStart")!;
    expect(start.instanceIds).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // The operation status names every failed instance in its details.
    const status = (await requests()).filter((r) => r.operation === "operationStatus").at(-1)!;
    const body = (await call("GET", `${status.path}?${status.query}`.replace(/&monitor=true/, ""))).body;
    expect(body).toMatchObject({ status: "Failed", error: { code: "AllocationFailed", details: [{ target: "7", code: "AllocationFailed" }] } });
  });

  it("deallocates and powers off in batches, and an operationFails fault on one instance fails that instance only", async () => {
    await setTimeScale(2000);
    await call("POST", "/_sim/faults", { body: { match: { operation: "scaleSetDeallocate", namePattern: "web_1" }, effect: { type: "operationFails", code: "InternalExecutionError" } } });
    const poller = await client.virtualMachineScaleSets.beginDeallocate(RG, "web", { vmInstanceIDs: { instanceIds: ["0", "1"] }, updateIntervalInMs: 20 });
    await expect(poller.pollUntilDone()).rejects.toThrow(/: 1\./);
    expect(await powerStates("web")).toEqual({ "0": "deallocated", "1": "running", "2": "running" });
    await client.virtualMachineScaleSets.beginPowerOffAndWait(RG, "web", { vmInstanceIDs: { instanceIds: ["2"] }, updateIntervalInMs: 20 });
    expect(await powerStates("web")).toEqual({ "0": "deallocated", "1": "running", "2": "stopped" });
  });

  it("charges one token per instance: a call asking more than is left is refused whole with 429 and changes nothing", async () => {
    await call("PUT", "/_sim/limits", { body: { buckets: { scaleSetUpdate: { burst: 5, refillPerSecond: 0.001 } } } });
    const first = await call("POST", `${setPath("workers")}/start?${API}`, { body: { instanceIds: ["0", "1", "2"] } });
    expect(first.status).toBe(202);
    expect(first.headers["x-ms-request-charge"]).toBe("3");
    expect(first.headers["x-ms-ratelimit-remaining-resource"]).toBe("Microsoft.Compute/UpdateVMScaleSet;2");
    const refused = await call("POST", `${setPath("workers")}/start?${API}`, { body: { instanceIds: ["3", "4", "5"] } });
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBeDefined();
    expect(refused.body.error).toMatchObject({ code: "OperationNotAllowed", details: [{ code: "TooManyRequests", target: "UpdateVMScaleSet" }] });
    const set = await controlSet("workers");
    for (const id of [3, 4, 5]) expect(set.instances[id]!.history).toHaveLength(1);
    const fits = await call("POST", `${setPath("workers")}/start?${API}`, { body: { instanceIds: ["3", "4"] } });
    expect(fits.status).toBe(202);
    const log = (await requests()).filter((r) => r.operation === "scaleSetStart");
    expect(log.map((r) => [r.status, r.instanceIds, r.throttledBy])).toEqual([
      [202, ["0", "1", "2"], null],
      [429, ["3", "4", "5"], "scaleSetUpdate"],
      [202, ["3", "4"], null],
    ]);
  });

  it("deallocate spends the subscription's Delete policy per instance and the set's own bucket once per call", async () => {
    await setTimeScale(0.001);
    const res = await call("POST", `${setPath("web")}/deallocate?${API}`, { body: { instanceIds: ["0", "1"] } });
    expect(res.status).toBe(202);
    expect(res.headers["x-ms-ratelimit-remaining-resource"]).toBe("Microsoft.Compute/DeleteVMScaleSet;523,Microsoft.Compute/DeleteVMScaleSetPerVMScaleSet;11");
    // workers is in westeurope: its own subscription + region bucket, 20 tokens for every instance.
    const off = await call("POST", `${setPath("workers")}/powerOff?${API}`);
    expect(off.headers["x-ms-request-charge"]).toBe("20");
    expect(off.headers["x-ms-ratelimit-remaining-resource"]).toBe("Microsoft.Compute/DeleteVMScaleSet;505");
  });

  it("refuses an unknown instance id and hibernate on a Uniform set with 400, and a conflicting action with 409, changing nothing", async () => {
    const unknown = await call("POST", `${setPath("web")}/deallocate?${API}`, { body: { instanceIds: ["0", "42"] } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "InvalidParameter", target: "instanceIds" });
    expect(unknown.body.error.message).toContain("42");
    const hibernate = await call("POST", `${setPath("web")}/deallocate?hibernate=true&${API}`, { body: { instanceIds: ["0"] } });
    expect(hibernate.status).toBe(400);
    expect(hibernate.body.error.code).toBe("OperationNotAllowed");
    expect(hibernate.body.error.message).toMatch(/Flexible/);
    const badBody = await call("POST", `${setPath("web")}/start?${API}`, { body: { instanceIds: "0" } });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.message).toContain("instanceIds");
    expect((await controlSet("web")).instances.every((i) => i.history.length === 1 && i.powerState === "running")).toBe(true);

    expect((await call("POST", `${setPath("web")}/powerOff?${API}`, { body: { instanceIds: ["1"] } })).status).toBe(202);
    const conflict = await call("POST", `${setPath("web")}/start?${API}`, { body: { instanceIds: ["0", "1"] } });
    expect(conflict.status).toBe(409);
    expect((await controlSet("web")).instances[0]!.history).toHaveLength(1);
    await advance(60);
    expect(await powerStates("web")).toEqual({ "0": "running", "1": "stopped", "2": "running" });
  });

  it("needs the scale-set RBAC actions: 403 without start/action, allowed with it", async () => {
    const scope = `/subscriptions/${SUB}`;
    await call("PUT", "/_sim/rbac", { body: { principal: principalOf("reader"), scope, actions: ["Microsoft.Compute/virtualMachineScaleSets/read", "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read"] } });
    await call("PUT", "/_sim/rbac", { body: { principal: principalOf("operator"), scope: setPath("workers"), actions: ["Microsoft.Compute/virtualMachineScaleSets/*"] } });
    expect((await call("GET", `${setPath("workers")}/virtualMachines?${API}`, { token: "reader" })).status).toBe(200);
    const refused = await call("POST", `${setPath("workers")}/start?${API}`, { token: "reader", body: { instanceIds: ["0"] } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("Microsoft.Compute/virtualMachineScaleSets/start/action");
    expect((await call("POST", `${setPath("workers")}/start?${API}`, { token: "operator", body: { instanceIds: ["0"] } })).status).toBe(202);
    expect((await call("GET", `${setPath("web")}?${API}`, { token: "operator" })).status).toBe(403);
    expect((await controlSet("workers")).instances[0]!.history.map((h) => h.powerState)).toEqual(["deallocated", "starting"]);
  });

  it("serves Flexible sets as resources whose members stay VMs, and refuses the instance routes on them", async () => {
    const flex = await client.virtualMachineScaleSets.get("rg-other", "flex");
    expect(flex).toMatchObject({ orchestrationMode: "Flexible", sku: { capacity: 2 }, tags: { tier: "app" } });
    const members = [];
    for await (const vm of client.virtualMachines.list("rg-other")) members.push([vm.name, vm.virtualMachineScaleSet?.id]);
    expect(members).toEqual([
      ["flex-0", setPath("flex", "rg-other")],
      ["flex-1", setPath("flex", "rg-other")],
      ["loose-0", setPath("undeclared-flex", "rg-other")],
    ]);
    expect((await controlSet("flex", "rg-other")).memberVmIds).toHaveLength(2);
    const listInstances = await call("GET", `${setPath("flex", "rg-other")}/virtualMachines?${API}`);
    expect(listInstances.status).toBe(400);
    expect(listInstances.body.error.code).toBe("OperationNotAllowed");
    expect((await call("POST", `${setPath("flex", "rg-other")}/deallocate?${API}`)).status).toBe(400);
    const vms = (await call("GET", `/_sim/vms?subscriptionId=${SUB}&resourceGroup=rg-other`)).body.vms;
    expect(vms.map((v: { powerState: string }) => v.powerState)).toEqual(["running", "running", "deallocated"]);
  });

  it("holds an AKS-managed Uniform set in its MC_ node resource group, with the aks-managed tags", async () => {
    const sets = [];
    for await (const set of client.virtualMachineScaleSets.list(AKS_RG)) sets.push(set);
    expect(sets).toHaveLength(1);
    expect(sets[0]!.tags).toMatchObject({ "aks-managed-poolName": "nodepool1", "aks-managed-createOperationID": expect.any(String) });
    const instances = [];
    for await (const vm of client.virtualMachineScaleSetVMs.list(AKS_RG, "aks-nodepool1-12345678-vmss", { expand: "instanceView" })) instances.push(vm.instanceView?.statuses?.[1]?.code);
    expect(instances).toEqual(["PowerState/running", "PowerState/running", "PowerState/running"]);
  });

  it("lists, gets, disables and restores an autoscale setting through @azure/arm-monitor, keeping its profiles", async () => {
    const all = [];
    for await (const s of monitor.autoscaleSettings.listBySubscription()) all.push(s);
    expect(all.map((s) => [s.name, s.targetResourceUri, s.enabled])).toEqual([
      ["web-autoscale", setPath("web"), true],
      ["aks-nodepool1-12345678-vmss-autoscale", setPath("aks-nodepool1-12345678-vmss", AKS_RG), true],
    ]);
    const inGroup = [];
    for await (const s of monitor.autoscaleSettings.listByResourceGroup(RG)) inGroup.push(s.name);
    expect(inGroup).toEqual(["web-autoscale"]);
    const before = await monitor.autoscaleSettings.get(RG, "web-autoscale");
    expect(before.profiles).toHaveLength(1);
    const disabled = await monitor.autoscaleSettings.update(RG, "web-autoscale", { enabled: false, tags: { "startstop-suspended": "true" } });
    expect(disabled).toMatchObject({ enabled: false, targetResourceUri: setPath("web"), tags: { "startstop-suspended": "true" } });
    expect(disabled.profiles).toEqual(before.profiles);
    const stored = (await call("GET", "/_sim/autoscaleSettings")).body.autoscaleSettings.find((s: { name: string }) => s.name === "web-autoscale");
    expect(stored.properties.enabled).toBe(false);
    const restored = await monitor.autoscaleSettings.update(RG, "web-autoscale", { enabled: true, tags: {} });
    expect(restored.enabled).toBe(true);
    // PUT keeps whatever the body carries; a PUT without profiles is a 400 naming them.
    const created = await monitor.autoscaleSettings.createOrUpdate(RG, "manual", { location: "westeurope", targetResourceUri: setPath("workers"), enabled: false, profiles: before.profiles });
    expect(created).toMatchObject({ name: "manual", enabled: false, profiles: before.profiles });
    const refused = await call("PUT", `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Insights/autoscalesettings/bad?api-version=2015-04-01`, { body: { location: "westeurope", properties: { targetResourceUri: setPath("workers") } } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("profiles");
    await expect(monitor.autoscaleSettings.get(RG, "nope")).rejects.toMatchObject({ statusCode: 404 });
    const patches = (await requests()).filter((r) => r.operation === "autoscalePatch");
    expect(patches.map((r) => r.status)).toEqual([200, 200]);
  });

  it("needs Microsoft.Insights/autoscalesettings/write to change a setting: 403 with read only, nothing changed", async () => {
    await call("PUT", "/_sim/rbac", { body: { principal: principalOf("reader"), scope: `/subscriptions/${SUB}`, actions: ["Microsoft.Insights/autoscalesettings/read"] } });
    const path = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Insights/autoscalesettings/web-autoscale?api-version=2015-04-01`;
    expect((await call("GET", path, { token: "reader" })).status).toBe(200);
    const refused = await call("PATCH", path, { token: "reader", body: { properties: { enabled: false } } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("Microsoft.Insights/autoscalesettings/write");
    expect((await call("GET", path, { token: "reader" })).body.properties.enabled).toBe(true);
  });
});
