/**
 * The notice before a stop and its postpone links: signed, expiring, single use, adding 1, 2 or 4 hours; a tampered,
 * expired or used link is 403 and changes nothing. Over the evaluator's in-memory twins.
 */
import { describe, expect, it } from "vitest";
import { ScheduleEvaluator } from "../../src/schedules/evaluator";
import { applyPostpone, type StopNotice } from "../../src/schedules/postpone";
import { putSchedule } from "../../src/schedules/scheduleApi";
import { signLink, verifyLink } from "../../src/trust/signedLink";
import { MemoryScheduleInventory } from "../twins/memoryScheduleInventory";
import { MemoryScheduleStateStore } from "../twins/memoryScheduleStateStore";
import { MemoryScheduleStore } from "../twins/memoryScheduleStore";

const KEY = "k".repeat(16) + "0123456789abcdef0123";
const S1 = "11111111-0000-4000-8000-000000000001";

describe("signed links", () => {
  const now = new Date("2026-03-02T12:00:00Z");
  const { token } = signLink(KEY, "p", { a: 1 }, new Date("2026-03-02T13:00:00Z"), "id-1");
  it("verify what was signed until it expires", () => {
    expect(verifyLink(KEY, "p", token, now)).toEqual({ ok: true, claims: { purpose: "p", id: "id-1", exp: Date.parse("2026-03-02T13:00:00Z") / 1000, data: { a: 1 } } });
    expect(verifyLink(KEY, "p", token, new Date("2026-03-02T13:00:00Z"))).toEqual({ ok: false, reason: "expired" });
  });
  it("refuse a changed body or seal, another key, another purpose, garbage; a short key is refused outright", () => {
    const [body, seal] = token.split(".");
    const forged = Buffer.from(Buffer.from(body!, "base64url").toString().replace('"a":1', '"a":2')).toString("base64url");
    expect(verifyLink(KEY, "p", `${forged}.${seal}`, now)).toEqual({ ok: false, reason: "signature" });
    expect(verifyLink(KEY, "p", `${body}.${seal!.slice(0, -2)}AA`, now)).toEqual({ ok: false, reason: "signature" });
    expect(verifyLink(`${KEY}x`, "p", token, now)).toEqual({ ok: false, reason: "signature" });
    expect(verifyLink(KEY, "other", token, now)).toEqual({ ok: false, reason: "purpose" });
    expect(verifyLink(KEY, "p", "not-a-token", now)).toEqual({ ok: false, reason: "malformed" });
    expect(() => signLink("short", "p", {}, now)).toThrow(/at least 32 bytes/);
  });
});

describe("notice before stop, and postponing", () => {
  async function setup() {
    const schedules = new MemoryScheduleStore();
    const states = new MemoryScheduleStateStore();
    const inventory = new MemoryScheduleInventory();
    const sent: StopNotice[] = [];
    await putSchedule(schedules, "office", { timezone: "Europe/Berlin", notifyBeforeMinutes: 30, periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] }, new Date());
    inventory.add(S1, "rg", "vm1", { "startstop-schedule": "office" }, "running");
    inventory.add(S1, "rg", "vm2", { "startstop-schedule": "office" }, "running");
    const evaluator = new ScheduleEvaluator({
      schedules, states, inventory, log: () => {}, submit: async () => "req",
      settings: { scopes: [`/subscriptions/${S1}`], tagName: "startstop-schedule", overrideTagName: "startstop-override", catchUpMinutes: 60, intervalMinutes: 1, inventoryMinutes: 5 },
      notices: { key: KEY, baseUrl: "https://app.example", send: async (n) => void sent.push(n) },
    });
    await evaluator.tick(new Date("2026-03-02T07:00:00Z")); // 08:00 Berlin: started
    return { states, evaluator, sent };
  }

  it("sends one notice 30 minutes before the stop naming the VMs, with 1, 2 and 4 hour links", async () => {
    const { evaluator, sent } = await setup();
    expect((await evaluator.tick(new Date("2026-03-02T17:29:00Z"))).notices).toEqual([]);
    expect((await evaluator.tick(new Date("2026-03-02T17:30:00Z"))).notices).toEqual(["office|2026-03-02T18:00:00.000Z"]);
    expect((await evaluator.tick(new Date("2026-03-02T17:31:00Z"))).notices).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.vms.map((v) => v.id.split("/").pop())).toEqual(["vm1", "vm2"]);
    expect(sent[0]!.postpone.map((p) => p.hours)).toEqual([1, 2, 4]);
    expect(sent[0]!.postpone[0]!.url).toMatch(/^https:\/\/app\.example\/api\/postpone\?token=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(sent[0]!.text).toContain("stops 2 VMs at 2026-03-02T19:00:00+01:00");
  });

  it("a link holds the VMs running 2 hours past the stop, once; the stop comes then", async () => {
    const { states, evaluator, sent } = await setup();
    await evaluator.tick(new Date("2026-03-02T17:30:00Z"));
    const token = (url: string) => new URL(url).searchParams.get("token")!;
    const now = new Date("2026-03-02T17:40:00Z");
    const used = await applyPostpone(states, KEY, token(sent[0]!.postpone[1]!.url), now);
    expect(used).toMatchObject({ kind: "ok", body: { postponedBy: "2 h", runningUntil: "2026-03-02T20:00:00.000Z", vms: 2 } });
    expect(await applyPostpone(states, KEY, token(sent[0]!.postpone[2]!.url), now)).toMatchObject({ kind: "problem", status: 403, detail: expect.stringContaining("used already") });
    expect((await evaluator.tick(new Date("2026-03-02T18:00:00Z"))).requests).toEqual([]);
    expect((await evaluator.tick(new Date("2026-03-02T20:00:00Z"))).requests.map((r) => [r.action, r.vms])).toEqual([["stop", 2]]);
  });

  it("a tampered or expired link is 403 and changes nothing", async () => {
    const { states, evaluator, sent } = await setup();
    await evaluator.tick(new Date("2026-03-02T17:30:00Z"));
    const url = new URL(sent[0]!.postpone[2]!.url);
    const [body, seal] = url.searchParams.get("token")!.split(".");
    const claims = JSON.parse(Buffer.from(body!, "base64url").toString());
    claims.data.hours = 4000;
    const tampered = `${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${seal}`;
    expect(await applyPostpone(states, KEY, tampered, new Date("2026-03-02T17:40:00Z"))).toMatchObject({ kind: "problem", status: 403, detail: expect.stringContaining("Nothing was changed") });
    // The links expire an hour after the stop.
    expect(await applyPostpone(states, KEY, url.searchParams.get("token")!, new Date("2026-03-02T19:00:00Z"))).toMatchObject({ kind: "problem", status: 403, detail: expect.stringContaining("expired") });
    expect(states.overrideRows.size).toBe(0);
    expect([...states.onceIds].filter((k) => k.startsWith("link|"))).toEqual([]);
    expect((await evaluator.tick(new Date("2026-03-02T18:00:00Z"))).requests.map((r) => [r.action, r.vms])).toEqual([["stop", 2]]);
  });
});
