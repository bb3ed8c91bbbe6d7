/** The pure savings model: which events a run leaves, the stopped intervals, the rate rows, the money, the query. */
import { describe, expect, it } from "vitest";
import { decodeEvents, encodeEvents, historyEventsOf, packEvents, stoppedIntervals, type HistoryEvent } from "../../src/savings/history";
import { chooseRate, priceFilter } from "../../src/savings/rates";
import { computeSavings, rateKeyOf, type VmFacts } from "../../src/savings/report";
import { parseSavingsQuery } from "../../src/savings/savingsQuery";
import { fixtureRows } from "../../src/local/retail-prices";
import type { VmRecord } from "../../src/engine/records";

const H = 3_600_000;
const T0 = Date.parse("2026-11-02T00:00:00Z"); // a Monday
const key = (n: string) => `/subscriptions/11111111-1111-4111-8111-111111111111/resourcegroups/rg-a/providers/microsoft.compute/virtualmachines/${n}`;
const row = (name: string, o: Partial<VmRecord>): VmRecord => ({
  requestId: "r", key: key(name), id: key(name), subscriptionId: "11111111-1111-4111-8111-111111111111", resourceGroup: "rg-a", name, location: "westeurope",
  status: "Succeeded", attempt: 1, ...o,
});
const facts = (name: string, o: Partial<VmFacts> = {}): VmFacts => ({
  id: key(name), name, subscriptionId: "11111111-1111-4111-8111-111111111111", resourceGroup: "rg-a", location: "westeurope", size: "Standard_D2s_v5", osType: "Linux", priority: "Regular", tags: {}, ...o,
});

describe("history events of a finished run", () => {
  it("a stop run: verified stops start intervals, calls prove the VM was running, AlreadyInState and failures add no stop", () => {
    const events = historyEventsOf({ requestId: "s1", action: "stop", createdAt: new Date(T0) }, [
      row("ok", { actedAt: new Date(T0 + 1000), finishedAt: new Date(T0 + 60_000) }),
      row("already", { status: "AlreadyInState", finishedAt: new Date(T0 + 2000) }),
      row("failed", { status: "Failed", actedAt: new Date(T0 + 1000), finishedAt: new Date(T0 + 9000) }),
      row("skipped", { status: "Skipped" }),
    ]);
    expect(events.map((e) => `${e.vmKey.split("/").pop()}:${e.kind}`)).toEqual(["ok:seenRunning", "ok:stopped", "failed:seenRunning"]);
  });

  it("a start run: a start call ends the interval; a VM already running was started by another cause", () => {
    const events = historyEventsOf({ requestId: "a1", action: "start", createdAt: new Date(T0) }, [
      row("ok", { actedAt: new Date(T0 + 1000), finishedAt: new Date(T0 + 60_000) }),
      row("failed", { status: "Failed", actedAt: new Date(T0 + 2000) }),
      row("already", { status: "AlreadyInState", finishedAt: new Date(T0 + 3000) }),
    ]);
    expect(events.map((e) => `${e.vmKey.split("/").pop()}:${e.kind}:${e.time - T0}`)).toEqual(["ok:started:1000", "failed:started:2000", "already:seenRunning:3000"]);
  });

  it("encodes compactly and decodes to the same events", () => {
    const events: HistoryEvent[] = [
      { vmKey: key("a"), time: T0 + 5, kind: "stopped", requestId: "x" },
      { vmKey: key("a"), time: T0 + 7, kind: "seenRunning", requestId: "x" },
      { vmKey: key("b"), time: T0 + 123456789, kind: "started", requestId: "x" },
    ];
    const text = encodeEvents(T0, events);
    expect(decodeEvents(text, "x")).toEqual(events);
    expect(text.split("rg-a").length - 1).toBe(1);
  });
});

describe("stopped intervals", () => {
  const ev = (name: string, kind: HistoryEvent["kind"], h: number, requestId = "r"): HistoryEvent => ({ vmKey: key(name), time: T0 + h * H, kind, requestId });

  it("run from our verified stop to the next start; a later stop while stopped changes nothing; a VM seen running ends with an unknown time", () => {
    const m = stoppedIntervals(packEvents([ev("a", "stopped", 1, "s1"), ev("a", "started", 5), ev("a", "stopped", 10, "s2"), ev("b", "stopped", 2), ev("b", "seenRunning", 8), ev("c", "started", 1), ev("d", "stopped", 3)]));
    expect(m.get(key("a"))).toEqual([
      { vmKey: key("a"), start: T0 + H, end: T0 + 5 * H },
      { vmKey: key("a"), start: T0 + 10 * H },
    ]);
    expect(m.get(key("b"))).toEqual([{ vmKey: key("b"), start: T0 + 2 * H, unknownEndBefore: T0 + 8 * H }]);
    expect(m.has(key("c"))).toBe(false);
    expect(m.get(key("d"))![0]!.end).toBeUndefined();
  });
});

describe("rates from Retail Prices rows", () => {
  const rows = fixtureRows().filter((r) => r.armRegionName === "westeurope" && r.armSkuName === "Standard_D2s_v5");
  const now = new Date(T0);

  it("Linux: the primary Consumption row that is neither Windows, Spot nor Low Priority; Windows: the ' Windows' product; Spot: its own Spot row", () => {
    const linux = chooseRate({ region: "westeurope", size: "Standard_D2s_v5", windows: false, spot: false }, rows, now);
    const windows = chooseRate({ region: "westeurope", size: "Standard_D2s_v5", windows: true, spot: false }, rows, now);
    const spot = chooseRate({ region: "westeurope", size: "Standard_D2s_v5", windows: false, spot: true }, rows, now);
    const winSpot = chooseRate({ region: "westeurope", size: "Standard_D2s_v5", windows: true, spot: true }, rows, now);
    expect(linux).toMatchObject({ ok: true, hourly: 0.1056, meter: "D2s v5", product: "Virtual Machines Dsv5 Series" });
    expect(windows).toMatchObject({ ok: true, hourly: 0.2068, product: "Virtual Machines Dsv5 Series Windows" });
    expect(spot).toMatchObject({ ok: true, hourly: 0.02112, meter: "D2s v5 Spot" });
    expect(winSpot).toMatchObject({ ok: true, hourly: 0.12232 });
  });

  it("never picks DevTest, Reservation, Low Priority or non-primary rows, and says so when nothing fits", () => {
    const onlyOthers = rows.filter((r) => r.type !== "Consumption" || r.isPrimaryMeterRegion === false || /Low Priority/.test(r.skuName));
    const choice = chooseRate({ region: "westeurope", size: "Standard_D2s_v5", windows: false, spot: false }, onlyOthers, now);
    expect(choice).toEqual({ ok: false, reason: "the Retail Prices API has no on-demand Linux hourly rate for Standard_D2s_v5 in westeurope" });
    expect(priceFilter("westeurope", "Standard_D2s_v5")).toBe("serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and armSkuName eq 'Standard_D2s_v5' and priceType eq 'Consumption'");
  });
});

describe("the rate a VM needs", () => {
  it("Windows at the Windows rate, unless Azure Hybrid Benefit bills it at the base rate; Spot by its priority", () => {
    expect(rateKeyOf(facts("w", { osType: "Windows" }))).toEqual({ region: "westeurope", size: "Standard_D2s_v5", windows: true, spot: false });
    expect(rateKeyOf(facts("w", { osType: "Windows", licenseType: "Windows_Server" }))?.windows).toBe(false);
    expect(rateKeyOf(facts("s", { priority: "Spot" }))?.spot).toBe(true);
    expect(rateKeyOf(facts("x", { size: undefined }))).toBeUndefined();
  });
});

describe("the savings figure", () => {
  const rate = (hourly: number) => ({ ok: true as const, hourly, currency: "EUR", meter: "m", product: "p" });

  it("prices each VM's hours inside the window at its rate, groups them, splits them by week, zero where a reservation covers the size", () => {
    const intervals = new Map([
      [key("a"), [{ vmKey: key("a"), start: T0 - 10 * H, end: T0 + 10 * H }]], // 10 h inside
      [key("b"), [{ vmKey: key("b"), start: T0 + 24 * 6 * H }]], // open: Sunday 00:00 to the window's end (Tue 00:00) = 48 h
      [key("r"), [{ vmKey: key("r"), start: T0, end: T0 + 5 * H }]],
      [key("gone"), [{ vmKey: key("gone"), start: T0, end: T0 + 2 * H }]],
      [key("u"), [{ vmKey: key("u"), start: T0, end: T0 + 3 * H, uncountedReason: "started by another cause" }]],
    ]);
    const vms = new Map([
      [key("a"), facts("a", { tags: { Team: "web" } })],
      [key("b"), facts("b", { osType: "Windows", tags: { team: "db" } })],
      [key("r"), facts("r", { size: "Standard_E4s_v5" })],
      [key("u"), facts("u")],
    ]);
    const report = computeSavings({
      from: new Date(T0), to: new Date(T0 + 8 * 24 * H), currency: "EUR", groupBy: { kind: "tag", tag: "team" }, scheduleTag: "startstop-schedule",
      intervals, vms, reservedSizes: new Set(["standard_e4s_v5"]),
      rates: new Map([["westeurope|Standard_D2s_v5|linux|regular", rate(0.1)], ["westeurope|Standard_D2s_v5|windows|regular", rate(0.25)]]),
    });
    expect(report.totals).toEqual({ hoursAvoided: 10 + 48 + 5 + 2, moneyAvoided: 10 * 0.1 + 48 * 0.25, vms: 4, unpricedVms: 1, reservedVms: 1 });
    expect(report.groups).toEqual([
      { key: "db", hoursAvoided: 48, moneyAvoided: 12, vms: 1 },
      { key: "web", hoursAvoided: 10, moneyAvoided: 1, vms: 1 },
      { key: "(no team tag)", hoursAvoided: 5, moneyAvoided: 0, vms: 1 },
      { key: "(VM no longer exists)", hoursAvoided: 2, moneyAvoided: 0, vms: 1 },
    ]);
    expect(report.weeks).toEqual([
      { weekStart: "2026-11-02T00:00:00.000Z", hoursAvoided: 10 + 24 + 5 + 2, moneyAvoided: 1 + 6 },
      { weekStart: "2026-11-09T00:00:00.000Z", hoursAvoided: 24, moneyAvoided: 6 },
    ]);
    expect(report.reserved).toEqual([{ vmId: key("r"), size: "Standard_E4s_v5", hoursAvoided: 5 }]);
    expect(report.unpriced).toEqual([{ vmId: key("gone"), hoursAvoided: 2, reason: "the VM no longer exists, so its size is unknown" }]);
    expect(report.uncounted).toEqual([{ vmId: key("u"), stoppedAt: new Date(T0).toISOString(), reason: "started by another cause" }]);
    expect(report.rates.map((r) => [r.os, r.hourly, r.vms])).toEqual([["Linux", 0.1, 1], ["Windows", 0.25, 1]]);
  });
});

describe("GET /api/savings query", () => {
  const now = new Date("2026-12-04T12:00:00Z");
  const q = (params: Record<string, string>) => parseSavingsQuery((n) => params[n] ?? null, now, "USD");

  it("defaults to the last 30 days by resource group in the default currency, and clips 'to' at now", () => {
    const r = q({});
    expect(r).toEqual({ ok: true, value: { from: new Date("2026-11-04T12:00:00Z"), to: now, groupBy: { kind: "resourceGroup" }, currency: "USD" } });
    const t = q({ from: "2026-12-01", to: "2027-01-01", groupBy: "tag:cost-center", currency: "EUR" });
    expect(t).toEqual({ ok: true, value: { from: new Date("2026-12-01T00:00:00Z"), to: now, groupBy: { kind: "tag", tag: "cost-center" }, currency: "EUR" } });
  });

  it("names every bad field", () => {
    const r = q({ from: "yesterday", groupBy: "colour", currency: "eur" });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.field)).toEqual(["from (query)", "groupBy (query)", "currency (query)"]);
    const order = q({ from: "2026-12-03", to: "2026-12-02" });
    expect(!order.ok && order.problems[0]!.field).toBe("from (query)");
  });
});
