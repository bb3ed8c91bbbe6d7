/**
 * Savings against the local world: a stop run with failures, a VM started by hand, a start run; GET /api/savings
 * equals an independent calculation from the simulator's VM histories and the fixture's prices, to the cent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World } from "../../src/local/world";
import { FIXTURE_CURRENCIES, FIXTURE_LINUX_USD, FIXTURE_REGIONS, FIXTURE_WINDOWS_EXTRA_USD } from "../../src/local/retail-prices";
import { SUB_A, SUB_B, vmIdOf } from "../support/fleets";

const SCALE = 30;
const fast = { start: { minSeconds: 1, maxSeconds: 3 }, deallocate: { minSeconds: 1, maxSeconds: 3 } };
const fleet = {
  durations: fast,
  subscriptions: [
    {
      subscriptionId: SUB_A,
      resourceGroups: [
        { name: "rg-lin", location: "westeurope", vms: [1, 2, 3, 4].map((i) => ({ name: `lin-${i}`, vmSize: "Standard_D8s_v5", powerState: "running" as const, tags: { team: "web" } })) },
        {
          name: "rg-spot", location: "westeurope", vms: [
            { name: "spot-1", vmSize: "Standard_D2s_v5", priority: "Spot" as const, powerState: "running" as const },
            { name: "res-1", vmSize: "Standard_E4s_v5", powerState: "running" as const },
            { name: "gpu-1", vmSize: "Standard_NC6s_v3", powerState: "running" as const },
            { name: "idle-1", vmSize: "Standard_D2s_v5", powerState: "deallocated" as const },
          ],
        },
      ],
    },
    {
      subscriptionId: SUB_B,
      resourceGroups: [{ name: "rg-win", location: "northeurope", vms: [1, 2, 3].map((i) => ({ name: `win-${i}`, osType: "Windows" as const, vmSize: "Standard_D4s_v5", powerState: "running" as const, tags: { team: "db" } })) }],
    },
  ],
};
const FORBIDDEN = ["lin-4", "win-3"];
const BY_HAND = "lin-3";

let world: World;
let from: Date;
/** Just before the app's start run: every interval in [from, beforeStart) ends at the window or at the start by hand. */
let beforeStart: Date;
let to: Date;
let stopId: string;
let startId: string;

const simNow = async () => new Date((await world.sim<{ nowMs: number }>("GET", "clock")).nowMs);

beforeAll(async () => {
  world = await World.start({ fleet, timeScale: SCALE, settings: { SAVINGS_RESERVED_SIZES: "Standard_E4s_v5", SAVINGS_CURRENCY: "EUR" } });
  const ids = (await world.vms()).filter((v) => FORBIDDEN.includes(v.name)).map((v) => v.id);
  await world.sim("POST", "faults", {
    match: { operation: "deallocate", vmIds: ids },
    effect: { type: "http", status: 403, code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachines/deallocate/action'." },
  });
  const stop = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`, `/subscriptions/${SUB_B}/`] } });
  stopId = stop.body.requestId;
  expect((await world.waitForRequest(stopId)).state).toBe("PartiallySucceeded");
  // Every verified stop lies before the window.
  from = await simNow();
  // Three simulated minutes later somebody starts one VM by hand (the platform records it in the Activity Log, as Azure does).
  await world.eventually("three simulated minutes", async () => (await simNow()).getTime() >= from.getTime() + 180_000, { timeoutMs: 120_000, everyMs: 500 });
  const sim = world.armSimulator;
  sim.act(sim.vmById(vmIdOf(SUB_A, "rg-lin", BY_HAND))!, "start", undefined, "someone@contoso.example");
  // Six simulated minutes after the window opened, the app starts the Linux, Spot and two Windows VMs (win-2 and res-1 stay stopped).
  await world.eventually("six simulated minutes", async () => (await simNow()).getTime() >= from.getTime() + 360_000, { timeoutMs: 120_000, everyMs: 500 });
  beforeStart = await simNow();
  const start = await world.callFunction("POST", "Scheduled", {
    Action: "start",
    RequestScopes: { VMLists: [...["lin-1", "lin-2"].map((n) => vmIdOf(SUB_A, "rg-lin", n)), vmIdOf(SUB_A, "rg-spot", "spot-1"), vmIdOf(SUB_A, "rg-spot", "gpu-1"), vmIdOf(SUB_B, "rg-win", "win-1")] },
  });
  startId = start.body.requestId;
  expect((await world.waitForRequest(startId)).state).toBe("Succeeded");
  await world.eventually("three more simulated minutes", async () => (await simNow()).getTime() >= from.getTime() + 540_000, { timeoutMs: 120_000, everyMs: 500 });
  to = await simNow();
}, 240_000);
afterAll(async () => world?.stop());

/** The fixture's hourly rate in EUR, computed from its published constants (not from the API). */
function fixtureRate(size: string, region: string, windows: boolean, spot: boolean): number {
  const linux = FIXTURE_LINUX_USD[size]!;
  const usd = (spot ? linux * 0.2 : linux) + (windows ? FIXTURE_WINDOWS_EXTRA_USD[size]! : 0);
  const inRegion = Math.round(usd * FIXTURE_REGIONS[region]!.factor * 1e6) / 1e6;
  return Math.round(inRegion * FIXTURE_CURRENCIES.EUR! * 1e4) / 1e4;
}

/**
 * The truth: every VM whose deallocate the simulator accepted from the app and which was deallocated when the window
 * opened counts from then until its history next leaves "deallocated" (a start by anyone) or the window closes.
 */
async function independentSavings(from: Date, to: Date, startedAt: Map<string, number> = new Map()) {
  const accepted = new Set((await world.armRequests()).filter((r) => r.operation === "deallocate" && r.status === 202).map((r) => r.vmId!.toLowerCase()));
  const perGroup = new Map<string, { hours: number; money: number }>();
  let hours = 0;
  let money = 0;
  for (const vm of await world.vms()) {
    if (!accepted.has(vm.id.toLowerCase())) continue;
    const history = vm.history.map((h) => ({ t: Date.parse(h.time), s: h.powerState }));
    const atFrom = history.filter((h) => h.t <= from.getTime()).pop();
    if (atFrom?.s !== "deallocated") continue;
    const leaves = history.find((h) => h.t > from.getTime() && h.s !== "deallocated");
    const end = Math.min(startedAt.get(vm.id.toLowerCase()) ?? leaves?.t ?? Infinity, to.getTime());
    const h = (end - from.getTime()) / 3_600_000;
    const size = fleetSize(vm.name);
    const reserved = size === "Standard_E4s_v5";
    const priced = size in FIXTURE_LINUX_USD;
    const m = reserved || !priced ? 0 : h * fixtureRate(size, vm.location, vm.osType === "Windows", vm.priority === "Spot");
    hours += h;
    money += m;
    const group = `${vm.subscriptionId}/${vm.resourceGroup}`.toLowerCase();
    const g = perGroup.get(group) ?? { hours: 0, money: 0 };
    g.hours += h;
    g.money += m;
    perGroup.set(group, g);
  }
  return { hours, money, perGroup };
}

function fleetSize(name: string): string {
  for (const s of fleet.subscriptions) for (const rg of s.resourceGroups) for (const vm of rg.vms) if (vm.name === name) return vm.vmSize;
  throw new Error(name);
}

describe("savings", () => {
  let answer: any;

  it("equal an independent calculation from the simulator's VM histories and the fixture prices, to the cent", async () => {
    // Before the app's start run: intervals end at the window's end, or at the start by hand the Activity Log shows.
    const res = await world.callFunction("GET", `savings?from=${from.toISOString()}&to=${beforeStart.toISOString()}&groupBy=resourceGroup`);
    expect(res.status).toBe(200);
    const truth = await independentSavings(from, beforeStart);
    expect(truth.money).toBeGreaterThan(0.05);
    expect(res.body.currency).toBe("EUR");
    expect(res.body.totals.moneyAvoided).toBeCloseTo(truth.money, 2);
    expect(res.body.totals.hoursAvoided).toBeCloseTo(truth.hours, 3);
    for (const [key, g] of truth.perGroup) expect(res.body.groups.find((x: any) => x.key === key)?.moneyAvoided, key).toBeCloseTo(g.money, 2);
    // The VM started by hand was found in the Activity Log, so nothing is left uncounted.
    expect(res.body.uncounted).toEqual([]);
    expect(res.body.cost.activityLogLookups).toBe(1);
  });

  it("end where the app started the VM: at its claimed start (actedAt), just before the simulator accepted the call", async () => {
    const res = await world.callFunction("GET", `savings?from=${from.toISOString()}&to=${to.toISOString()}&groupBy=resourceGroup`);
    answer = res.body;
    const started = await world.allOutcomes(startId);
    const acceptedAt = new Map((await world.armRequests()).filter((r) => r.operation === "start" && r.status === 202).map((r) => [r.vmId!.toLowerCase(), Date.parse(r.time)]));
    const actedAt = new Map(started.filter((v) => v.actedAt).map((v) => [v.id.toLowerCase(), Date.parse(v.actedAt)]));
    expect(actedAt.size).toBe(5);
    for (const [id, t] of actedAt) expect(acceptedAt.get(id)!).toBeGreaterThanOrEqual(t);
    const truth = await independentSavings(from, to, actedAt);
    expect(answer.totals.moneyAvoided).toBeCloseTo(truth.money, 2);
    expect(answer.totals.hoursAvoided).toBeCloseTo(truth.hours, 3);
    // Counted by the simulator's own start times instead, the figure can only be larger: the app never claims more.
    expect(answer.totals.moneyAvoided).toBeLessThanOrEqual((await independentSavings(from, to)).money + 1e-9);
  });

  it("prices by size, OS and priority from the right rows; reservations and unknown sizes are said, not guessed", () => {
    const rate = (size: string, os: string, spot: boolean) => answer.rates.find((r: any) => r.size === size && r.os === os && r.spot === spot)?.hourly;
    expect(rate("Standard_D8s_v5", "Linux", false)).toBe(fixtureRate("Standard_D8s_v5", "westeurope", false, false));
    expect(rate("Standard_D4s_v5", "Windows", false)).toBe(fixtureRate("Standard_D4s_v5", "northeurope", true, false));
    expect(rate("Standard_D2s_v5", "Linux", true)).toBe(fixtureRate("Standard_D2s_v5", "westeurope", false, true));
    expect(answer.reserved.map((r: any) => r.vmId.split("/").pop())).toEqual(["res-1"]);
    expect(answer.unpriced).toEqual([expect.objectContaining({ vmId: vmIdOf(SUB_A, "rg-spot", "gpu-1"), reason: "the Retail Prices API has no on-demand Linux hourly rate for Standard_NC6s_v3 in westeurope" })]);
    // Not stopped by this app: failed stops and the VM that was already deallocated.
    const counted = answer.totals.vms;
    expect(counted).toBe(11 - FORBIDDEN.length - 1);
  });

  it("asks the prices API once per region and size, then answers from the cache; with the API down and no cache it says so", async () => {
    const pairs = new Set(answer.rates.map((r: any) => `${r.region}|${r.size}`)).size + 1; // + the unpriced GPU size
    // The first query asked once per region and size; the second found them all in the cache.
    expect(world.prices.model.calls.length).toBe(pairs);
    expect(answer.prices).toEqual({ apiCalls: 0, cacheHits: pairs, stale: [] });
    const before = world.prices.model.calls.length;
    const again = (await world.callFunction("GET", `savings?from=${from.toISOString()}&to=${to.toISOString()}`)).body;
    expect(world.prices.model.calls.length).toBe(before);
    expect(again.prices).toEqual({ apiCalls: 0, cacheHits: pairs, stale: [] });
    expect(again.totals.moneyAvoided).toBe(answer.totals.moneyAvoided);

    world.prices.model.setOutage(true);
    const gbp = (await world.callFunction("GET", `savings?from=${from.toISOString()}&to=${to.toISOString()}&currency=GBP`)).body;
    world.prices.model.setOutage(false);
    expect(gbp.totals.moneyAvoided).toBe(0);
    expect(gbp.prices.note).toMatch(/Retail Prices API is unavailable \(the Retail Prices API answered 503/);
    expect(gbp.unpriced.length).toBe(gbp.totals.vms - gbp.totals.reservedVms);
    expect(gbp.unpriced[0].reason).toMatch(/could not be reached .* no price of .* in GBP is cached/);
  });

  it("answers problem+json naming the field for bad input", async () => {
    const res = await world.callFunction("GET", "savings?from=last-week&groupBy=colour&currency=eur");
    expect(res.status).toBe(400);
    expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: any) => e.field)).toEqual(["from (query)", "groupBy (query)", "currency (query)"]);
  });
});
