import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "node:https";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ComputeManagementClient } from "@azure/arm-compute";
import type { TokenCredential } from "@azure/core-auth";
import { startArmSimulator, type FleetSpec, type RequestLogEntry } from "../../src/local/arm-simulator/index";

const SUB = "11111111-1111-1111-1111-111111111111";
const SUB2 = "22222222-2222-2222-2222-222222222222";
const RG = "rg-web";

const fleet: FleetSpec = {
  durations: { start: { minSeconds: 30, maxSeconds: 180 }, deallocate: { minSeconds: 30, maxSeconds: 120 } },
  subscriptions: [
    {
      subscriptionId: SUB,
      resourceGroups: [
        {
          name: RG,
          location: "westeurope",
          vms: [
            { name: "web-01", osType: "Linux", powerState: "deallocated", tags: { sequencestart: "1" } },
            { name: "web-02", osType: "Windows", vmSize: "Standard_B2s", powerState: "running" },
            { name: "spot-01", powerState: "running", priority: "Spot", evictionPolicy: "Deallocate" },
          ],
        },
        {
          name: "rg-bulk",
          location: "northeurope",
          generate: [{ namePrefix: "app-", count: 447, osType: "Windows", powerState: "running", tags: { env: "dev" } }],
        },
      ],
    },
    { subscriptionId: SUB2, resourceGroups: [{ name: "rg-empty", location: "westus" }] },
  ],
};

const credential: TokenCredential = {
  getToken: async () => ({ token: "static-test-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

let sim: Awaited<ReturnType<typeof startArmSimulator>>;
let client: ComputeManagementClient;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** Plain HTTPS call (for headers and control routes the SDK hides). */
function call(method: string, path: string, opts: { body?: unknown; token?: string | null } = {}): Promise<RawResponse> {
  const url = path.startsWith("https://") ? new URL(path) : new URL(path, sim.url);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? "raw-token" : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
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

const vmPath = (name: string, rg = RG, sub = SUB) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
const vmId = (name: string, rg = RG) => vmPath(name, rg);
const controlVm = async (name: string, rg = RG) => (await call("GET", `/_sim/vms/${encodeURIComponent(vmId(name, rg))}`)).body;
const advance = (seconds: number) => call("POST", "/_sim/clock/advance", { body: { seconds } });
const requests = async (since = 0): Promise<RequestLogEntry[]> => (await call("GET", `/_sim/requests?since=${since}`)).body.requests;

beforeAll(async () => {
  sim = await startArmSimulator({ fleet, timeScale: 1, seed: 7 });
  client = new ComputeManagementClient(credential, SUB, {
    endpoint: sim.url,
    retryOptions: { maxRetries: 0 },
    tlsOptions: { ca: sim.caCertPem },
  });
});

afterAll(async () => {
  await sim?.close();
});

beforeEach(async () => {
  await call("POST", "/_sim/reset");
  await call("PUT", "/_sim/limits", { body: { enabled: true } });
  await call("POST", "/_sim/fleet", { body: fleet });
});

describe("ARM routes through the real @azure/arm-compute SDK", () => {
  it("pages listAll with statusOnly through absolute nextLinks and lists a resource group", async () => {
    const all = [];
    for await (const vm of client.virtualMachines.listAll({ statusOnly: "true" })) all.push(vm);
    expect(all).toHaveLength(450);
    const web02 = all.find((v) => v.name === "web-02")!;
    expect(web02.id).toBe(vmId("web-02"));
    expect(web02.instanceView?.statuses?.map((s) => s.code)).toEqual([
      "ProvisioningState/succeeded",
      "PowerState/running",
    ]);
    const raw = await call("GET", `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines?api-version=2026-03-01&statusOnly=true`);
    expect(raw.body.value).toHaveLength(200);
    expect(raw.body.nextLink).toMatch(new RegExp(`^${sim.url}/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines\\?.*\\$skiptoken=200`));
    const inGroup = [];
    for await (const vm of client.virtualMachines.list(RG)) inGroup.push(vm.name);
    expect(inGroup).toEqual(["web-01", "web-02", "spot-01"]);
    const empty = [];
    for await (const vm of client.virtualMachines.listAll()) empty.push(vm);
    expect(empty.length).toBe(450);
  });

  it("gets a VM with and without the instance view, in the shapes the SDK deserializes", async () => {
    const vm = await client.virtualMachines.get(RG, "web-02", { expand: "instanceView" });
    expect(vm).toMatchObject({
      id: vmId("web-02"),
      name: "web-02",
      type: "Microsoft.Compute/virtualMachines",
      location: "westeurope",
      // SDK 24.x flattens `properties` onto the model (the wire JSON nests them, checked below).
      hardwareProfile: { vmSize: "Standard_B2s" },
      storageProfile: { osDisk: { osType: "Windows", createOption: "FromImage" } },
      priority: "Regular",
      provisioningState: "Succeeded",
    });
    expect(vm.instanceView?.statuses?.[1]).toMatchObject({ code: "PowerState/running", level: "Info", displayStatus: "VM running" });
    const spot = await client.virtualMachines.get(RG, "spot-01");
    expect(spot.priority).toBe("Spot");
    expect(spot.evictionPolicy).toBe("Deallocate");
    expect(spot.instanceView).toBeUndefined();
    const wire = await call("GET", `${vmPath("spot-01")}?api-version=x&$expand=instanceView`);
    expect(wire.body.properties).toMatchObject({
      vmId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      hardwareProfile: { vmSize: "Standard_D2s_v5" },
      storageProfile: { osDisk: { osType: "Linux", createOption: "FromImage" } },
      priority: "Spot",
      evictionPolicy: "Deallocate",
      provisioningState: "Succeeded",
      instanceView: { statuses: [{ code: "ProvisioningState/succeeded" }, { code: "PowerState/running" }] },
    });
    const view = await client.virtualMachines.instanceView(RG, "web-01");
    expect(view.statuses?.map((s) => s.code)).toEqual(["ProvisioningState/succeeded", "PowerState/deallocated"]);
    expect(view.statuses?.[0].time).toBeInstanceOf(Date);
    // Paths are case-insensitive.
    const upper = await call("GET", `${vmPath("WEB-01").replace("resourceGroups", "RESOURCEGROUPS")}?api-version=x`);
    expect(upper.status).toBe(200);
    expect(upper.body.name).toBe("web-01");
  });

  it("starts a VM through an LRO (202 + Azure-AsyncOperation + Location) and records history at simulated times", async () => {
    const raw = await call("POST", `${vmPath("web-01")}/start?api-version=2026-03-01`);
    expect(raw.status).toBe(202);
    const asyncOp = String(raw.headers["azure-asyncoperation"]);
    expect(asyncOp).toMatch(new RegExp(`^${sim.url}/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/[0-9a-f-]+\\?`));
    expect(raw.headers.location).toBe(`${asyncOp}&monitor=true`);
    expect(Number(raw.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((await controlVm("web-01")).powerState).toBe("starting");
    expect((await call("GET", `${asyncOp}`)).body.status).toBe("InProgress");
    expect((await call("GET", String(raw.headers.location))).status).toBe(202);

    await advance(181);
    const done = (await call("GET", asyncOp)).body;
    expect(done).toMatchObject({ status: "Succeeded" });
    expect((await call("GET", String(raw.headers.location))).status).toBe(200);
    const vm = await controlVm("web-01");
    expect(vm.powerState).toBe("running");
    expect(vm.history.map((h: { powerState: string }) => h.powerState)).toEqual(["deallocated", "starting", "running"]);
    expect(vm.history[1].time).toBe(done.startTime);
    expect(vm.history[2].time).toBe(done.endTime); // completion time, not the time somebody looked
    const took = (Date.parse(done.endTime) - Date.parse(done.startTime)) / 1000;
    expect(took).toBeGreaterThanOrEqual(30);
    expect(took).toBeLessThanOrEqual(180);
  });

  it("runs beginStart/beginDeallocate + pollUntilDone with time compression", async () => {
    await call("PUT", "/_sim/clock", { body: { timeScale: 2000 } });
    const poller = await client.virtualMachines.beginStart(RG, "web-01", { updateIntervalInMs: 20 });
    await poller.pollUntilDone();
    expect((await client.virtualMachines.instanceView(RG, "web-01")).statuses?.[1].code).toBe("PowerState/running");
    await (await client.virtualMachines.beginDeallocate(RG, "web-02", { updateIntervalInMs: 20 })).pollUntilDone();
    expect((await controlVm("web-02")).powerState).toBe("deallocated");
    const ops = (await requests()).map((r) => r.operation);
    expect(ops).toContain("operationStatus");
    // Default polling honours the simulator's Retry-After (>= 1 real second).
    await client.virtualMachines.beginPowerOffAndWait(RG, "web-01");
    expect((await controlVm("web-01")).powerState).toBe("stopped");
  });

  it("answers 409 Conflict for a different action in progress, and is idempotent for the same action", async () => {
    const first = await call("POST", `${vmPath("web-01")}/start?api-version=x`);
    const again = await call("POST", `${vmPath("web-01")}/start?api-version=x`);
    expect(again.status).toBe(202);
    expect(again.headers["azure-asyncoperation"]).toBe(first.headers["azure-asyncoperation"]);
    await expect(client.virtualMachines.beginPowerOff(RG, "web-01")).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
    // Start on a running VM: an operation that is already Succeeded, power state untouched.
    const noop = await call("POST", `${vmPath("web-02")}/start?api-version=x`);
    expect(noop.status).toBe(202);
    expect((await call("GET", String(noop.headers["azure-asyncoperation"]))).body.status).toBe("Succeeded");
    expect((await controlVm("web-02")).history).toHaveLength(1);
  });

  it("simulates Spot eviction (204) and refuses it for Regular VMs", async () => {
    await client.virtualMachines.simulateEviction(RG, "spot-01");
    expect((await controlVm("spot-01")).powerState).toBe("deallocating");
    await advance(60);
    const spot = await controlVm("spot-01");
    expect(spot.history.map((h: { powerState: string }) => h.powerState)).toEqual(["running", "deallocating", "deallocated"]);
    await expect(client.virtualMachines.simulateEviction(RG, "web-02")).rejects.toMatchObject({ statusCode: 409, code: "OperationNotAllowed" });
  });

  it("rejects requests without a bearer token (401) and answers ARM-shaped 404s", async () => {
    const noAuth = await call("GET", `${vmPath("web-01")}?api-version=x`, { token: null });
    expect(noAuth.status).toBe(401);
    expect(noAuth.body.error.code).toBe("AuthenticationFailed");
    await expect(client.virtualMachines.get(RG, "nope")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
      message: expect.stringContaining("The Resource 'Microsoft.Compute/virtualMachines/nope' under resource group 'rg-web' was not found."),
    });
    await expect(client.virtualMachines.get("rg-missing", "web-01")).rejects.toMatchObject({ statusCode: 404, code: "ResourceGroupNotFound" });
    const otherSub = new ComputeManagementClient(credential, "99999999-0000-0000-0000-000000000000", {
      endpoint: sim.url,
      retryOptions: { maxRetries: 0 },
      tlsOptions: { ca: sim.caCertPem },
    });
    await expect(otherSub.virtualMachines.get(RG, "web-01")).rejects.toMatchObject({ statusCode: 404, code: "SubscriptionNotFound" });
    const unknown = await call("GET", `/subscriptions/${SUB}/providers/Microsoft.Network/virtualNetworks?api-version=x`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("InvalidResourceType");
    const log = await requests();
    expect(log.find((r) => r.status === 401)).toMatchObject({ principal: null, operation: "get" });
    expect(log.at(-1)).toMatchObject({ status: 404, operation: null });
    expect(JSON.stringify(log)).not.toContain("static-test-token");
  });
});

describe("throttling", () => {
  it("throttles ARM reads per subscription+principal with 429, Retry-After and the documented body", async () => {
    await call("PUT", "/_sim/limits", { body: { buckets: { armReads: { burst: 2, refillPerSecond: 0.1 } } } });
    const a = await call("GET", `${vmPath("web-01")}?api-version=x`);
    expect(a.headers["x-ms-ratelimit-remaining-subscription-reads"]).toBe("1");
    expect(a.headers["x-ms-ratelimit-remaining-resource"]).toBe(
      "Microsoft.Compute/LowCostGet;23999,Microsoft.Compute/LowCostGetPerVM;35",
    );
    await call("GET", `${vmPath("web-01")}?api-version=x`);
    const c = await call("GET", `${vmPath("web-01")}?api-version=x`);
    expect(c.status).toBe(429);
    expect(c.headers["retry-after"]).toBe("10"); // 1 token at 0.1/s, time scale 1
    expect(c.headers["x-ms-ratelimit-remaining-subscription-reads"]).toBe("0");
    expect(c.body.error.code).toBe("SubscriptionRequestsThrottled");
    expect(c.body.error.message).toMatch(/Number of 'read' requests for subscription '.*' actor '.*' exceeded/);
    // Another principal has its own bucket.
    expect((await call("GET", `${vmPath("web-01")}?api-version=x`, { token: "someone-else" })).status).toBe(200);
    // The throttled request consumed no Compute tokens (2 + 1 other principal = 3 used).
    const d = await call("GET", `${vmPath("web-01")}?api-version=x`, { token: "third" });
    expect(d.headers["x-ms-ratelimit-remaining-resource"]).toContain("LowCostGetPerVM;32");
    await expect(client.virtualMachines.get(RG, "web-01").then(() => client.virtualMachines.get(RG, "web-01")).then(() => client.virtualMachines.get(RG, "web-01"))).rejects.toMatchObject({ statusCode: 429 });
    expect((await requests()).filter((r) => r.throttledBy === "armReads").length).toBeGreaterThanOrEqual(2);
    // Time compression shortens Retry-After.
    await call("PUT", "/_sim/clock", { body: { timeScale: 5 } });
    await advance(0);
    const e = await call("GET", `${vmPath("web-02")}?api-version=x`, { token: "fourth" });
    await call("GET", `${vmPath("web-02")}?api-version=x`, { token: "fourth" });
    const f = await call("GET", `${vmPath("web-02")}?api-version=x`, { token: "fourth" });
    expect(e.status).toBe(200);
    expect(f.status).toBe(429);
    expect(f.headers["retry-after"]).toBe("2");
  });

  it("throttles Compute HighCostGet with OperationNotAllowed/TooManyRequests, and can be disabled", async () => {
    await call("PUT", "/_sim/limits", { body: { buckets: { computeHighCostGet: { burst: 1, refillPerSecond: 5 / 60 } } } });
    const listPath = `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines?api-version=x`;
    const ok = await call("GET", listPath);
    expect(ok.headers["x-ms-ratelimit-remaining-resource"]).toBe("Microsoft.Compute/HighCostGet;0");
    const throttled = await call("GET", listPath);
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("12");
    expect(throttled.body.error.code).toBe("OperationNotAllowed");
    expect(throttled.body.error.details[0]).toMatchObject({ code: "TooManyRequests", target: "HighCostGet" });
    expect(JSON.parse(throttled.body.error.details[0].message)).toMatchObject({ operationGroup: "HighCostGet", allowedRequestCount: 1 });
    const iter = client.virtualMachines.listAll();
    await expect(iter.next()).rejects.toMatchObject({ statusCode: 429, code: "OperationNotAllowed" });
    expect((await requests()).at(-1)).toMatchObject({ status: 429, throttledBy: "computeHighCostGet", operation: "list" });
    await advance(12);
    expect((await call("GET", listPath)).status).toBe(200);
    await call("PUT", "/_sim/limits", { body: { enabled: false } });
    for (let i = 0; i < 5; i++) expect((await call("GET", listPath)).status).toBe(200);
    expect((await call("GET", "/_sim/limits")).body.enabled).toBe(false);
  });

  it("applies the per-VM UpdateVM bucket (12 burst) to start requests", async () => {
    await call("PUT", "/_sim/limits", { body: { buckets: { vmUpdateVm: { burst: 2, refillPerSecond: 4 / 60 } } } });
    expect((await call("POST", `${vmPath("web-01")}/start?api-version=x`)).status).toBe(202);
    expect((await call("POST", `${vmPath("web-01")}/start?api-version=x`)).status).toBe(202);
    const third = await call("POST", `${vmPath("web-01")}/start?api-version=x`);
    expect(third.status).toBe(429);
    expect(third.body.error.details[0].target).toBe("UpdateVMPerVM");
    expect(third.headers["x-ms-ratelimit-remaining-subscription-writes"]).toBe("197");
  });
});

describe("fault injection", () => {
  it("answers http faults with count, namePattern and osType matching, and logs them", async () => {
    const { id } = (await call("POST", "/_sim/faults", {
      body: { match: { operation: "get", namePattern: "WEB-*", osType: "windows" }, effect: { type: "http", status: 500, code: "InternalServerError", message: "boom", retryAfterSeconds: 5 }, count: 1 },
    })).body;
    expect(id).toBeTruthy();
    expect((await call("GET", `${vmPath("web-01")}?api-version=x`)).status).toBe(200); // Linux: no match
    const hit = await call("GET", `${vmPath("web-02")}?api-version=x`);
    expect(hit.status).toBe(500);
    expect(hit.body).toEqual({ error: { code: "InternalServerError", message: "boom" } });
    expect(hit.headers["retry-after"]).toBe("5");
    expect((await call("GET", `${vmPath("web-02")}?api-version=x`)).status).toBe(200); // count exhausted
    expect((await requests()).find((r) => r.status === 500)).toMatchObject({ faultId: id, operation: "get", vmId: vmId("web-02") });
    expect((await call("GET", "/_sim/faults")).body.faults[0]).toMatchObject({ id, fired: 1 });
    expect((await call("DELETE", `/_sim/faults/${id}`)).status).toBe(204);
    expect((await call("GET", "/_sim/faults")).body.faults).toEqual([]);
  });

  it("fires firstAttemptOnly rules only on the first request of that operation per VM", async () => {
    await call("POST", "/_sim/faults", {
      body: { match: { operation: "start", vmIds: [vmId("web-01").toUpperCase()] }, effect: { type: "http", status: 503, code: "ServiceUnavailable" }, firstAttemptOnly: true },
    });
    await expect(client.virtualMachines.beginStart(RG, "web-01")).rejects.toMatchObject({ statusCode: 503 });
    expect((await call("POST", `${vmPath("web-01")}/start?api-version=x`)).status).toBe(202);
  });

  it("fails the operation (operationFails): VM keeps its power state, instance view shows the failure", async () => {
    await call("POST", "/_sim/faults", {
      body: { match: { operation: "start" }, effect: { type: "operationFails", code: "AllocationFailed", message: "No capacity." } },
    });
    await call("PUT", "/_sim/clock", { body: { timeScale: 2000 } });
    const poller = await client.virtualMachines.beginStart(RG, "web-01", { updateIntervalInMs: 20 });
    await expect(poller.pollUntilDone()).rejects.toThrow(/AllocationFailed\. No capacity\./);
    const view = await client.virtualMachines.instanceView(RG, "web-01");
    expect(view.statuses?.[0]).toMatchObject({ code: "ProvisioningState/failed/AllocationFailed", level: "Error", message: "No capacity." });
    expect(view.statuses?.[1].code).toBe("PowerState/deallocated");
    const vm = await controlVm("web-01");
    expect(vm.provisioningState).toBe("Failed");
    expect(vm.history.map((h: { powerState: string }) => h.powerState)).toEqual(["deallocated", "starting", "deallocated"]);
  });

  it("draws probability from the seeded random source and honours windows in simulated time", async () => {
    await call("PUT", "/_sim/limits", { body: { enabled: false } }); // 40 instance views exceed the per-VM LowCostGet burst of 36
    await call("POST", "/_sim/faults", { body: { match: { operation: "instanceView" }, effect: { type: "http", status: 500 }, probability: 0.5 } });
    let fired = 0;
    for (let i = 0; i < 40; i++) if ((await call("GET", `${vmPath("web-02")}/instanceView?api-version=x`)).status === 500) fired++;
    expect(fired).toBeGreaterThan(5);
    expect(fired).toBeLessThan(35);
    await call("DELETE", "/_sim/faults");
    await call("POST", "/_sim/faults", {
      body: { match: { operation: "list" }, effect: { type: "http", status: 500 }, window: { startsAfterSeconds: 100, durationSeconds: 50 } },
    });
    const listPath = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines?api-version=x`;
    expect((await call("GET", listPath)).status).toBe(200);
    await advance(100);
    expect((await call("GET", listPath)).status).toBe(500);
    await advance(50);
    expect((await call("GET", listPath)).status).toBe(200);
  });
});

describe("control API and fleet", () => {
  it("filters VMs, reports history, pages the request log and reads/sets the clock", async () => {
    const running = (await call("GET", `/_sim/vms?powerState=running&subscriptionId=${SUB}`)).body.vms;
    expect(running).toHaveLength(449);
    const rg = (await call("GET", `/_sim/vms?subscriptionId=${SUB}&resourceGroup=${RG}`)).body.vms;
    expect(rg.map((v: { name: string }) => v.name)).toEqual(["web-01", "web-02", "spot-01"]);
    expect(rg[0]).toMatchObject({ id: vmId("web-01"), subscriptionId: SUB, resourceGroup: RG, location: "westeurope", osType: "Linux", priority: "Regular", tags: { sequencestart: "1" }, powerState: "deallocated", provisioningState: "Succeeded" });
    expect((await call("GET", `/_sim/vms/${encodeURIComponent("/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/z")}`)).status).toBe(404);

    const clock = (await call("GET", "/_sim/clock")).body;
    expect(clock.timeScale).toBe(1);
    const after = (await advance(3600)).body;
    expect(after.nowMs - clock.nowMs).toBeGreaterThanOrEqual(3_600_000);

    await call("GET", `${vmPath("web-01")}?api-version=x`);
    const first = (await call("GET", "/_sim/requests")).body;
    expect(first.requests).toHaveLength(1);
    expect(first.requests[0]).toMatchObject({
      seq: first.lastSeq, method: "GET", path: vmPath("web-01"), query: "api-version=x", status: 200,
      subscriptionId: SUB, region: "westeurope", vmId: vmId("web-01"), operation: "get", throttledBy: null,
    });
    expect(first.requests[0].principal).toMatch(/^token-[0-9a-f]{12}$/);
    expect(Date.parse(first.requests[0].time)).toBeGreaterThanOrEqual(after.nowMs);
    await call("POST", `${vmPath("web-02")}/deallocate?api-version=x`);
    const next = (await call("GET", `/_sim/requests?since=${first.lastSeq}`)).body;
    expect(next.requests.map((r: RequestLogEntry) => r.operation)).toEqual(["deallocate"]);
    await call("DELETE", "/_sim/requests");
    expect((await call("GET", "/_sim/requests")).body.requests).toEqual([]);
  });

  it("loads fleets from a file with defaults and generate, and adds fleets in add mode", async () => {
    const dir = mkdtempSync(join(tmpdir(), "armsim-"));
    const file = join(dir, "fleet.json");
    writeFileSync(file, JSON.stringify({
      subscriptions: [{ subscriptionId: SUB, resourceGroups: [{ name: "rg-a", location: "westeurope", vms: [{ name: "plain" }], generate: [{ namePrefix: "gen-", count: 12, priority: "Spot", location: "northeurope" }] }] }],
    }));
    const other = await startArmSimulator({ fleet: file, caOut: join(dir, "ca.pem") });
    try {
      expect(other.caCertPath).toBe(join(dir, "ca.pem"));
      const vms = other.simulator.controlVms();
      expect(vms).toHaveLength(13);
      expect(vms[0]).toMatchObject({ name: "plain", osType: "Linux", powerState: "deallocated", priority: "Regular", location: "westeurope", tags: {} });
      expect(vms[1]).toMatchObject({ name: "gen-0001", priority: "Spot", location: "northeurope" });
      expect(vms[12].name).toBe("gen-0012");
    } finally {
      await other.close();
    }
    const added = await call("POST", "/_sim/fleet?mode=add", { body: { subscriptions: [{ subscriptionId: SUB2, resourceGroups: [{ name: "rg-new", location: "westus", vms: [{ name: "x1", powerState: "stopped" }] }] }] } });
    expect(added.body.vms).toBe(451);
    expect((await call("GET", `/_sim/vms?powerState=stopped`)).body.vms.map((v: { name: string }) => v.name)).toEqual(["x1"]);
    const bad = await call("POST", "/_sim/fleet", { body: { subscriptions: [{ subscriptionId: SUB, resourceGroups: [{ name: "r", location: "l", vms: [{ name: "v", powerState: "on" }] }] }] } });
    expect(bad.status).toBe(400);
    // Empty groups answer empty lists rather than 404.
    const emptyList = await call("GET", `/subscriptions/${SUB2}/resourceGroups/rg-empty/providers/Microsoft.Compute/virtualMachines?api-version=x`);
    expect(emptyList.body).toEqual({ value: [] });
  });

  it("holds 20,000 VMs: loads them, lists them, filters them and answers instance views (its speed: npm run bench)", async () => {
    const big: FleetSpec = {
      subscriptions: [{ subscriptionId: SUB, resourceGroups: [{ name: "rg-big", location: "westeurope", generate: [{ namePrefix: "vm-", count: 20_000, powerState: "running" }] }] }],
    };
    expect((await call("POST", "/_sim/fleet", { body: big })).status).toBe(200);
    await call("POST", `${vmPath("vm-19999", "rg-big")}/deallocate?api-version=x`);
    const all = (await call("GET", "/_sim/vms")).body.vms;
    const dealloc = (await call("GET", "/_sim/vms?powerState=deallocating")).body.vms;
    expect(all).toHaveLength(20_000);
    expect(dealloc.map((v: { name: string }) => v.name)).toEqual(["vm-19999"]);
    for (let i = 0; i < 50; i++) {
      const view = await call("GET", `${vmPath(`vm-${String(i + 1).padStart(4, "0")}`, "rg-big")}/instanceView?api-version=x`);
      expect(view.body.statuses[1].code).toBe("PowerState/running");
    }
  });
});
