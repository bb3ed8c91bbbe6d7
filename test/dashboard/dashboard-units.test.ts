/** The dashboard's pure parts: who is signed in, the Logic Apps' and schedules' next transitions. */
import { describe, expect, it } from "vitest";
import { SESSION_COOKIE, cookieValue, keyMatches, sessionToken, signedIn } from "../../src/dashboard/auth";
import { logicAppTransitions, parseLogicAppSchedules, scheduleTransitions } from "../../src/dashboard/transitions";
import { parseSchedule } from "../../src/schedules/schedule";
import { loadConfig } from "../../src/config";

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] ?? null });

describe("dashboard sign-in", () => {
  const key = { mode: "key" as const, key: "a-local-key-of-some-length" };

  it("locally: the key as x-functions-key, or the session cookie the login form sets (an HMAC, never the key)", () => {
    expect(signedIn(key, headers({ "x-functions-key": key.key }))).toEqual({ ok: true, who: "local key" });
    expect(signedIn(key, headers({ "x-functions-key": "wrong" }))).toEqual({ ok: false });
    const token = sessionToken(key.key);
    expect(token).not.toContain(key.key);
    expect(signedIn(key, headers({ cookie: `other=1; ${SESSION_COOKIE}=${token}` }))).toEqual({ ok: true, who: "local session" });
    expect(signedIn(key, headers({ cookie: `${SESSION_COOKIE}=${sessionToken("another key")}` }))).toEqual({ ok: false });
    expect(keyMatches(key, key.key)).toBe(true);
    expect(keyMatches(key, "")).toBe(false);
    expect(cookieValue("a=1; b=x=y", "b")).toBe("x=y");
  });

  it("in Azure: the principal App Service authentication put in the headers; App Service mode ignores keys", () => {
    const azure = { mode: "appService" as const };
    expect(signedIn(azure, headers({ "x-ms-client-principal-id": "00000000-0000-0000-0000-000000000001", "x-ms-client-principal-name": "ada@contoso.example" }))).toEqual({ ok: true, who: "ada@contoso.example" });
    expect(signedIn(azure, headers({ "x-functions-key": "anything" }))).toEqual({ ok: false });
    expect(signedIn({ mode: "off" }, headers({ "x-functions-key": "anything" }))).toEqual({ ok: false });
  });

  it("the mode follows the settings: App Service's WEBSITE_AUTH_ENABLED, the local key, or off", () => {
    const base = { AzureWebJobsStorage: "UseDevelopmentStorage=true" };
    expect(loadConfig({ ...base, WEBSITE_AUTH_ENABLED: "True" }).dashboard.auth).toBe("appService");
    expect(loadConfig({ ...base, LOCAL_FUNCTION_KEY: "k" }).dashboard).toMatchObject({ auth: "key", localKey: "k" });
    expect(loadConfig(base).dashboard.auth).toBe("off");
    expect(() => loadConfig({ ...base, DASHBOARD_AUTH: "maybe" })).toThrow(/DASHBOARD_AUTH must be appService or off/);
  });
});

describe("next transitions", () => {
  const la = parseLogicAppSchedules(JSON.stringify([
    { name: "start", action: "start", weekDays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], hour: 8, minute: 0, timeZone: "W. Europe Standard Time", enabled: false },
    { name: "broken" },
  ]));

  it("a Logic App's recurrence fires at its hour in its Windows time zone, on its weekdays, across a DST change", () => {
    expect(la).toHaveLength(1);
    // Friday 27 March 2026 to Tuesday 31 March: Friday 08:00 CET (07:00Z), Monday 08:00 CEST (06:00Z).
    const t = logicAppTransitions(la, new Date("2026-03-27T00:00:00Z"), new Date("2026-03-31T00:00:00Z"));
    expect(t.map((x) => x.at)).toEqual(["2026-03-27T07:00:00.000Z", "2026-03-30T06:00:00.000Z"]);
    expect(t[0]).toMatchObject({ source: "logicApp", name: "start", what: "start", enabled: false });
    expect(parseLogicAppSchedules("not json")).toEqual([]);
  });

  it("a schedule's transitions come from the schedules model", () => {
    const parsed = parseSchedule({ timezone: "Asia/Tokyo", periods: [{ beginTime: "08:00", endTime: "19:00" }] }, "office");
    expect(parsed.ok).toBe(true);
    const t = scheduleTransitions([(parsed as any).schedule], new Date("2026-12-04T00:00:00Z"), new Date("2026-12-05T00:00:00Z"));
    expect(t.map((x) => [x.at, x.what])).toEqual([["2026-12-04T10:00:00.000Z", "stopped"], ["2026-12-04T23:00:00.000Z", "running"]]);
  });
});
