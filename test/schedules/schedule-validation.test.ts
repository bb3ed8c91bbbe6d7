import { describe, expect, it } from "vitest";
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
      name: "a b", timezone: "Nowhere/City", enforced: "yes", stopMode: "hibernate", notifyBeforeMinutes: 0, colour: "red", holidays: ["2026-02-30", "XX", "DE-ZZ", 5],
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
