/**
 * Savings and the dashboard against the local world: a stop run with failures, a VM started by hand, a start run.
 * GET /api/savings equals an independent calculation from the simulator's VM histories and the fixture's prices, to the
 * cent; the dashboard, loaded in a real headless Chromium (Debian's package, driven by playwright-core), shows the
 * simulator's failures and the API's figures, with no console error and no failed request.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, World, FUNCTION_KEY } from "../../src/local/world";
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
      // win-2 runs under Azure Hybrid Benefit: billed at the Linux rate.
      resourceGroups: [{ name: "rg-win", location: "northeurope", vms: [1, 2, 3].map((i) => ({ name: `win-${i}`, osType: "Windows" as const, vmSize: "Standard_D4s_v5", powerState: "running" as const, tags: { team: "db" }, ...(i === 2 ? { licenseType: "Windows_Server" } : {}) })) }],
    },
  ],
};
const FORBIDDEN = ["lin-4", "win-3"];
const LOGIC_APPS = [
  { name: "ststv2_vms_Scheduled_start", action: "start", weekDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], hour: 8, minute: 0, timeZone: "W. Europe Standard Time", enabled: true },
  { name: "ststv2_vms_Scheduled_stop", action: "stop", weekDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], hour: 19, minute: 0, timeZone: "W. Europe Standard Time", enabled: false },
];
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
  world = await World.start({ fleet, timeScale: SCALE, settings: { SAVINGS_RESERVED_SIZES: "Standard_E4s_v5", SAVINGS_CURRENCY: "EUR", LOGIC_APP_SCHEDULES: JSON.stringify(LOGIC_APPS) } });
  // A named schedule, for the dashboard's next transitions (the schedules API of src/schedules/).
  const put = await world.callFunction("PUT", "schedules/office-hours", { timezone: "Asia/Tokyo", periods: [{ beginTime: "08:00", endTime: "19:00" }] });
  expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
  const ids = (await world.vms()).filter((v) => FORBIDDEN.includes(v.name)).map((v) => v.id);
  await world.sim("POST", "faults", {
    match: { operation: "deallocate", vmIds: ids },
    effect: { type: "http", status: 403, code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachines/deallocate/action'." },
  });
  const stop = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`, `/subscriptions/${SUB_B}/`] } });
  expect(stop.status, JSON.stringify(stop.body ?? stop.text)).toBe(202);
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
    const m = reserved || !priced ? 0 : h * fixtureRate(size, vm.location, vm.osType === "Windows" && vm.name !== "win-2", vm.priority === "Spot");
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
    expect(rate("Standard_D4s_v5", "Linux", false)).toBe(fixtureRate("Standard_D4s_v5", "northeurope", false, false)); // win-2, Hybrid Benefit
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

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's chromium (`.ci/run` installs it); missing, the test fails saying so instead of skipping. */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: the dashboard's browser tests need Debian's chromium package (apt-get install -y chromium) or CHROMIUM_PATH set to a Chromium binary.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** Every console error, page error, failed request and HTTP error answer of a page. */
function watch(page: Page) {
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  return problems;
}

describe("the dashboard in a real browser", () => {
  let browser: Browser;
  beforeAll(async () => void (browser = await launchChromium()));
  afterAll(async () => browser?.close());

  it("shows the runs, the simulator's failed VMs, the next transitions and the API's savings, in the viewer's zone, on a laptop and a phone", async () => {
    const shots = path.join(REPO_ROOT, ".local");
    mkdirSync(shots, { recursive: true });
    const zone = "Europe/Berlin";
    const laptop = await browser.newContext({ viewport: { width: 1366, height: 900 }, timezoneId: zone, locale: "en-GB" });
    const page = await laptop.newPage();
    const problems = watch(page);
    const started = Date.now();
    await page.goto(`${world.hostUrl}/api/dashboard`);
    // Without a session the page is the sign-in form; the local key signs in and sets an HttpOnly cookie.
    await page.getByLabel("Local function key").fill(FUNCTION_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForSelector("body[data-loaded=true]");
    const loadMs = Date.now() - started;
    expect(page.url()).toBe(`${world.hostUrl}/api/dashboard`);
    expect(await page.evaluate(() => document.cookie)).toBe(""); // the session cookie is HttpOnly; no key in the page
    expect(await page.content()).not.toContain(FUNCTION_KEY);

    // The API the page read, fetched with the same session.
    const data = await page.evaluate(async () => (await fetch("/api/dashboard/data")).json());
    // Runs: every finished run of today (in the viewer's zone), with the counts the status API reports.
    const day = (iso: string) => new Date(iso).toLocaleDateString("en-CA", { timeZone: zone });
    const today = data.runs.list.filter((r: any) => day(r.completedAt) === day(new Date().toISOString()));
    const stopStatus = (await world.callFunction("GET", `requests/${stopId}?top=1`)).body;
    const startStatus = (await world.callFunction("GET", `requests/${startId}?top=1`)).body;
    expect(data.runs.list.map((r: any) => r.requestId).sort()).toEqual([stopId, startId].sort());
    expect(Number(await page.textContent("[data-metric=today-runs]"))).toBe(today.length);
    const sum = (k: string) => today.reduce((n: number, r: any) => n + r.counts[k], 0);
    expect(Number(await page.textContent("[data-metric=today-failed]"))).toBe(sum("Failed"));
    expect(Number(await page.textContent("[data-metric=today-succeeded]"))).toBe(sum("Succeeded"));
    if (today.length === 2) expect(sum("Succeeded")).toBe(stopStatus.counts.Succeeded + startStatus.counts.Succeeded);

    // Failed VMs: exactly those the simulator never deallocated, each linking to its request's failed VMs.
    const stillRunning = (await world.vms()).filter((v) => v.powerState === "running" && FORBIDDEN.includes(v.name)).map((v) => v.name);
    expect(stillRunning.sort()).toEqual([...FORBIDDEN].sort());
    const failedRows = await page.$$eval("#failed tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(failedRows.map((r) => r[0]).sort()).toEqual([...FORBIDDEN].sort());
    for (const r of failedRows) expect(r[1]).toBe("AuthorizationFailed");
    const link = await page.getAttribute("#failed tbody tr a", "href");
    expect(link).toBe(`/api/dashboard/requests/${stopId}?outcome=Failed`);
    const linked = await page.evaluate(async (href) => (await fetch(href!)).json(), link);
    expect(linked.vms.map((v: any) => v.name).sort()).toEqual([...FORBIDDEN].sort());

    // Next 24 hours: the schedule's and the Logic Apps' transitions, at the API's instants, shown in the viewer's zone.
    expect(data.transitions.list.filter((t: any) => t.source === "schedule" && t.name === "office-hours")).toHaveLength(2);
    expect(data.transitions.list.filter((t: any) => t.source === "logicApp")).toHaveLength(2);
    const nextRows = await page.$$eval("#next tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(nextRows.map((r) => r[2])).toEqual(data.transitions.list.map((t: any) => t.name));
    const shown = await page.evaluate((list) => list.map((t: any) => new Date(t.at).toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" })), data.transitions.list);
    expect(nextRows.map((r) => r[0])).toEqual(shown);
    expect(nextRows.find((r) => r[2] === "ststv2_vms_Scheduled_start")?.[0]).toMatch(/08:00/); // 08:00 in W. Europe = Berlin
    expect(await page.textContent("#zone")).toContain(zone);

    // Savings: the page's figure is GET /api/savings's over the same 8 weeks (up to when the page's data was made), in its currency.
    const to = new Date((await page.getAttribute("body", "data-generated-at"))!);
    const from = new Date(to.getTime() - 8 * 7 * 86_400_000);
    const api = (await world.callFunction("GET", `savings?from=${from.toISOString()}&to=${to.toISOString()}&groupBy=subscription`)).body;
    const total = await page.$eval("[data-metric=savings-total]", (e) => ({ value: Number(e.getAttribute("data-value")), currency: e.getAttribute("data-currency"), text: e.textContent }));
    expect(total.value).toBe(api.totals.moneyAvoided);
    expect(total.currency).toBe("EUR");
    expect(total.text).toContain("€");
    expect(await page.$$eval("#savings-chart svg rect.bar", (r) => r.length)).toBe(api.weeks.length);
    expect(await page.getAttribute("#savings-chart svg", "role")).toBe("img");

    // Budget, breakers, heartbeat: what the app holds.
    expect(await page.$$eval("#budget tbody tr", (r) => r.length)).toBe(Math.max(1, data.budget.buckets.length));
    expect(data.budget.buckets.length).toBeGreaterThan(0);
    expect(await page.textContent("[data-metric=breakers]")).toBe("No breaker open on this instance.");
    expect(await page.textContent("[data-metric=heartbeat]")).toBe("No heartbeat has run yet.");

    // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to the content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    // Every table has a caption; every section a heading.
    expect(await page.$$eval("table", (t) => t.every((x) => !!x.querySelector("caption")?.textContent))).toBe(true);
    expect(await page.$$eval("section", (s) => s.every((x) => !!x.querySelector("h2")))).toBe(true);

    await page.screenshot({ path: path.join(shots, "dashboard-laptop.png"), fullPage: true });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: zone, locale: "en-GB", storageState: await laptop.storageState() });
    const phonePage = await phone.newPage();
    const phoneProblems = watch(phonePage);
    await phonePage.goto(`${world.hostUrl}/api/dashboard`);
    await phonePage.waitForSelector("body[data-loaded=true]");
    // Readable on a phone: the page is no wider than the screen (wide tables scroll inside their own region).
    expect(await phonePage.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phonePage.screenshot({ path: path.join(shots, "dashboard-phone.png"), fullPage: true });
    await phone.close();
    await laptop.close();

    expect(problems).toEqual([]);
    expect(phoneProblems).toEqual([]);
    console.log(`dashboard loaded in ${loadMs} ms (sign-in included)`);
  });

  it("refuses the data without a session or with a wrong key, and never needs a function key in the page", async () => {
    const anonymous = await fetch(`${world.hostUrl}/api/dashboard/data`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("content-type")).toMatch(/problem\+json/);
    const wrong = await fetch(`${world.hostUrl}/api/dashboard/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "key=nope", redirect: "manual" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    const page = await fetch(`${world.hostUrl}/api/dashboard`, { headers: { "x-functions-key": FUNCTION_KEY } });
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).not.toContain(FUNCTION_KEY);
    // Garbage never gets a 5xx, signed in or not.
    const garbage = ["dashboard/requests/not-a-guid", "dashboard/requests/%E0%A4%A", "dashboard/nope/../data", "dashboard/requests/00000000-0000-4000-8000-000000000000?outcome=Nope",
      "savings?from=2026-02-30", "savings?to=%00", "savings?groupBy=tag:", "savings?currency=EURO", "savings?from=2020-01-01&to=2026-01-01"];
    for (const route of garbage) {
      for (const headers of [{}, { "x-functions-key": FUNCTION_KEY }] as Record<string, string>[]) {
        const res = await fetch(`${world.hostUrl}/api/${route}`, { headers });
        expect(res.status, `${route} ${JSON.stringify(headers)}`).toBeLessThan(500);
      }
    }
    const post = await fetch(`${world.hostUrl}/api/dashboard/data`, { method: "POST", headers: { "x-functions-key": FUNCTION_KEY } });
    expect(post.status).toBe(405);
  });
});
