import { describe, expect, it } from "vitest";
import { transitionsBetween } from "../../src/schedules/evaluate";
import { parseSchedule } from "../../src/schedules/schedule";

const fields = (body: unknown, pathName?: string) => {
  const r = parseSchedule(body, pathName);
  return r.ok ? [] : r.problems.map((p) => p.field);
};

describe("parseSchedule names every bad field", () => {
  it("accepts the grammar's forms and keeps what the user wrote", () => {
    const r = parseSchedule({
      name: "office", timezone: "W. Europe Standard Time", description: "Berlin office", holidays: ["DE-BY", "2026-12-24"], enforced: false, retainRunning: true, stopNewVms: false, notifyBeforeMinutes: 30,
      periods: [{ name: "days", beginTime: "8:00", endTime: "19:00", weekdays: ["mon-fri"], months: "jan-nov" }, { endTime: "23:00", monthDays: "L,15W" }, { weekdays: "sat#1" }],
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.schedule.zone).toBe("Europe/Berlin");
    expect(r.schedule.input.periods[0]).toEqual({ name: "days", beginTime: "8:00", endTime: "19:00", weekdays: ["mon-fri"], months: "jan-nov" });
    expect(r.schedule.periods.map((p) => p.name)).toEqual(["days", "period2", "period3"]);
  });

  it("refuses a body that is not an object", () => {
    expect(fields([])).toEqual(["(body)"]);
    expect(fields("x")).toEqual(["(body)"]);
  });

  it("names each bad field, all at once", () => {
    expect(fields({
      name: "a b", timezone: "Nowhere/City", enforced: "yes", stopMode: "sleep", notifyBeforeMinutes: 0, colour: "red", holidays: ["2026-02-30", "XX", "DE-ZZ", 5],
      periods: [{ beginTime: "25:00", endTime: "7:5", weekdays: "mon-fry", monthDays: "0", months: "L" }, { beginTime: "19:00", endTime: "08:00" }, {}, "x", { begin: "08:00" }],
    })).toEqual([
      "colour", "name", "timezone",
      "periods[0].beginTime", "periods[0].endTime", "periods[0].weekdays", "periods[0].monthDays", "periods[0].months",
      "periods[1].endTime", "periods[2]", "periods[3]", "periods[4].begin", "periods[4]",
      "holidays[0]", "holidays[1]", "holidays[2]", "holidays[3]",
      "enforced", "stopMode", "notifyBeforeMinutes",
    ]);
  });

  it("requires a timezone and at least one period, and the body's name to match the path's", () => {
    expect(fields({ name: "x" })).toEqual(["timezone", "periods"]);
    expect(fields({ name: "x", timezone: "UTC", periods: [] })).toEqual(["periods"]);
    expect(fields({ name: "other", timezone: "UTC", periods: [{ beginTime: "08:00" }] }, "office")).toEqual(["name"]);
    expect(fields({ timezone: "UTC", periods: [{ beginTime: "08:00" }] }, "office")).toEqual([]);
    expect(fields({ timezone: "UTC", periods: [{ beginTime: "08:00" }] }, "bad name")).toEqual(["name (path)"]);
    expect(fields({ timezone: "UTC", periods: [{ beginTime: "08:00" }] })).toEqual(["name"]);
  });
});

describe("the README's worked examples", () => {
  it("mean what the README says", () => {
    const parse = (body: Record<string, unknown>) => {
      const r = parseSchedule({ name: "x", ...body });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.schedule;
    };
    const at = (s: ReturnType<typeof parse>, from: string, to: string) => transitionsBetween(s, new Date(from), new Date(to)).map((t) => `${t.local} ${t.state}`);
    const berlin = parse({ timezone: "W. Europe Standard Time", holidays: ["DE-BY"], periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] });
    // Thursday 2026-06-04 is Corpus Christi in Bavaria: no start that day.
    expect(at(berlin, "2026-06-03T00:00:00Z", "2026-06-06T00:00:00Z")).toEqual(["2026-06-03T08:00:00+02:00 running", "2026-06-03T19:00:00+02:00 stopped", "2026-06-05T08:00:00+02:00 running", "2026-06-05T19:00:00+02:00 stopped"]);
    const night = parse({ timezone: "America/New_York", periods: [{ beginTime: "22:00", endTime: "23:59", weekdays: "mon-fri" }, { beginTime: "00:00", endTime: "04:00", weekdays: "tue-sat" }] });
    // Friday night into Saturday, no stop at midnight; nothing on Saturday night.
    expect(at(night, "2026-03-13T12:00:00Z", "2026-03-15T12:00:00Z")).toEqual(["2026-03-13T22:00:00-04:00 running", "2026-03-14T04:00:00-04:00 stopped"]);
    const close = parse({ timezone: "Asia/Tokyo", periods: [{ weekdays: "friL" }, { beginTime: "09:00", monthDays: "15W" }] });
    // March 2026: the 15th is a Sunday, so the 16th: "no opinion" before 09:00, running from 09:00, stopped when the day
    // no longer matches at midnight; the last Friday is the 27th.
    expect(at(close, "2026-03-01T00:00:00Z", "2026-03-31T00:00:00Z")).toEqual([
      "2026-03-16T00:00:00+09:00 any", "2026-03-16T09:00:00+09:00 running", "2026-03-17T00:00:00+09:00 stopped", "2026-03-27T00:00:00+09:00 running", "2026-03-28T00:00:00+09:00 stopped",
    ]);
  });
});
