/**
 * The ScheduleEvaluator's tick over in-memory twins of its ports: which tag applies, one request per subscription,
 * schedule and action, overrides (API and tag) and their expiry, and the inventory's read budget.
 */
import { describe, expect, it } from "vitest";
import type { ScheduledRequest } from "../../src/domain/scheduledRequest";
import { ScheduleEvaluator, type EvaluatorSettings } from "../../src/schedules/evaluator";
import { putOverride } from "../../src/schedules/overrideApi";
import { putSchedule } from "../../src/schedules/scheduleApi";
import { MemoryScheduleInventory } from "../twins/memoryScheduleInventory";
import { MemoryScheduleStateStore } from "../twins/memoryScheduleStateStore";
import { MemoryScheduleStore } from "../twins/memoryScheduleStore";

const S1 = "11111111-0000-4000-8000-000000000001";
const S2 = "22222222-0000-4000-8000-000000000002";
const settings: EvaluatorSettings = { scopes: [`/subscriptions/${S1}`, `/subscriptions/${S2}`], tagName: "startstop-schedule", overrideTagName: "startstop-override", catchUpMinutes: 60, intervalMinutes: 1, inventoryMinutes: 5 };

async function setup() {
  const schedules = new MemoryScheduleStore();
  const states = new MemoryScheduleStateStore();
  const inventory = new MemoryScheduleInventory();
  const submitted: { request: ScheduledRequest; identity: string }[] = [];
  const at = new Date("2026-03-02T06:00:00Z");
  await putSchedule(schedules, "office", { timezone: "Europe/Berlin", periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] }, at);
  await putSchedule(schedules, "late", { timezone: "Europe/Berlin", periods: [{ beginTime: "10:00", endTime: "19:00" }] }, at);
  const evaluator = new ScheduleEvaluator({
    schedules, states, inventory, settings, log: () => {},
    submit: async (request, identity) => (submitted.push({ request, identity }), `req-${submitted.length}`),
  });
  return { schedules, states, inventory, submitted, evaluator };
}
const minutes = (iso: string, m: number) => new Date(Date.parse(iso) + m * 60_000);

describe("ScheduleEvaluator.tick", () => {
  it("a VM's own tag wins over its group's; one request per subscription, schedule and action", async () => {
    const { inventory, submitted, evaluator } = await setup();
    inventory.tagGroup(S1, "rg-a", { "startstop-schedule": "office" });
    inventory.add(S1, "rg-a", "a1");
    inventory.add(S1, "rg-a", "a2");
    inventory.add(S1, "rg-a", "a3", { "startstop-schedule": "late" });
    inventory.add(S1, "rg-b", "b1", { "STARTSTOP-SCHEDULE": "office" });
    inventory.add(S2, "rg-c", "c1", { "startstop-schedule": "office" });
    inventory.add(S2, "rg-c", "c2", { "startstop-schedule": "missing" });
    inventory.add(S2, "rg-c", "free");
    const first = await evaluator.tick(new Date("2026-03-02T06:59:00Z")); // 07:59 Berlin: all stopped already
    expect(first).toMatchObject({ vmsInScope: 7, vmsScheduled: 5, requests: [], unknownSchedules: ["missing"] });
    const at8 = await evaluator.tick(new Date("2026-03-02T07:00:00Z"));
    expect(at8.requests.map((r) => [r.subscriptionId, r.schedule, r.action, r.vms])).toEqual([[S1, "office", "start", 3], [S2, "office", "start", 1]]);
    expect(submitted.map((s) => s.request.scopes.vms.map((v) => v.name))).toEqual([["a1", "a2", "b1"], ["c1"]]);
    expect(submitted[0]!.identity).toBe(`schedule|office|start|${S1}|2026-03-02T07:00`);
    expect(submitted[0]!.request).toMatchObject({ action: "start", whatIf: false, sequenced: false });
    // Nothing more until the next transition: late starts at 10:00 Berlin.
    expect((await evaluator.tick(new Date("2026-03-02T07:01:00Z"))).requests).toEqual([]);
    expect((await evaluator.tick(new Date("2026-03-02T09:00:00Z"))).requests.map((r) => [r.schedule, r.action, r.vms])).toEqual([["late", "start", 1]]);
  });

  it("an API override holds a VM running past its stop, and the stop comes when it expires", async () => {
    const { inventory, states, submitted, evaluator } = await setup();
    const vm = inventory.add(S1, "rg-a", "a1", { "startstop-schedule": "office" }, "running");
    await evaluator.tick(new Date("2026-03-02T07:00:00Z"));
    const put = await putOverride(states, vm.key, vm.id, { state: "running", until: "2026-03-02T20:00:00Z" }, new Date("2026-03-02T17:30:00Z"));
    expect(put).toMatchObject({ kind: "ok", body: { override: { state: "running", until: "2026-03-02T20:00:00.000Z", active: true } } });
    submitted.length = 0;
    const atStop = await evaluator.tick(new Date("2026-03-02T18:00:00Z")); // 19:00 Berlin
    expect(atStop.requests).toEqual([]);
    expect((await states.get(vm.key))!.reason).toMatch(/held running by an override \(POST \/api\/vms\/\{id\}\/override\) until 2026-03-02T20:00:00.000Z/);
    expect((await evaluator.tick(new Date("2026-03-02T19:59:00Z"))).requests).toEqual([]);
    const expired = await evaluator.tick(new Date("2026-03-02T20:00:00Z"));
    expect(expired.requests.map((r) => [r.action, r.vms])).toEqual([["stop", 1]]);
  });

  it("the tag startstop-override=running-until=<ISO> does the same, and a bad value is ignored", async () => {
    const { inventory, evaluator } = await setup();
    inventory.add(S1, "rg-a", "held", { "startstop-schedule": "office", "startstop-override": "running-until=2026-03-02T21:00:00Z" }, "running");
    inventory.add(S1, "rg-a", "garbled", { "startstop-schedule": "office", "startstop-override": "until tomorrow" }, "running");
    await evaluator.tick(new Date("2026-03-02T07:00:00Z"));
    const atStop = await evaluator.tick(new Date("2026-03-02T18:00:00Z"));
    expect(atStop.requests.map((r) => [r.action, r.vms])).toEqual([["stop", 1]]);
    await evaluator.tick(new Date("2026-03-02T20:00:00Z")); // inventory re-read: the tag still holds
    expect((await evaluator.tick(new Date("2026-03-02T21:00:00Z"))).requests.map((r) => [r.action, r.vms])).toEqual([["stop", 1]]);
  });

  it("bad overrides are refused naming the field", async () => {
    const { states } = await setup();
    const now = new Date("2026-03-02T12:00:00Z");
    const fields = async (body: unknown) => {
      const a = await putOverride(states, "k", "id", body, now);
      return a.kind === "invalid" ? a.problems.map((p) => p.field) : a.kind;
    };
    expect(await fields({ state: "paused", until: "2026-03-02T11:00:00Z", extra: 1 })).toEqual(["extra", "state", "until"]);
    expect(await fields({ state: "running", until: "2026-05-01T00:00:00Z" })).toEqual(["until"]);
    expect(await fields({ state: "running", until: "tomorrow" })).toEqual(["until"]);
    expect(await fields([])).toEqual(["(body)"]);
    expect(states.overrideRows.size).toBe(0);
  });

  it("reads each subscription once when cold, then a share of them per tick (≤ 2 reads per subscription per inventoryMinutes)", async () => {
    const { inventory, evaluator } = await setup();
    const subs = Array.from({ length: 10 }, (_, i) => `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`);
    for (const s of subs) for (let i = 0; i < 3; i++) inventory.add(s, "rg", `vm${i}`, { "startstop-schedule": "office" });
    const wide = new ScheduleEvaluator({ ...(evaluator as unknown as { deps: ConstructorParameters<typeof ScheduleEvaluator>[0] }).deps, settings: { ...settings, scopes: subs.map((s) => `/subscriptions/${s}`) } });
    await wide.tick(new Date("2026-03-02T05:00:00Z"));
    expect(inventory.reads).toBe(20);
    inventory.reads = 0;
    for (let m = 1; m <= 20; m++) await wide.tick(minutes("2026-03-02T05:00:00Z", m));
    // After the first 5 minutes, 2 of the 10 subscriptions per tick (2 reads each).
    expect(inventory.reads).toBeLessThanOrEqual(4 * 16 + 1);
    expect(inventory.reads).toBeGreaterThanOrEqual(4 * 15);
  });
});
