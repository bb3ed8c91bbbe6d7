/**
 * Time zones and DST: a year of weekday schedules in two zones whose change days differ, the change days
 * themselves, the two DST choices (a skipped 02:30, a doubled 01:30), and Windows zone names.
 */
import { describe, expect, it } from "vitest";
import { scheduleStateAt, transitionsBetween, type Transition } from "../../src/schedules/evaluate";
import { parseSchedule } from "../../src/schedules/schedule";
import { resolveTimeZone } from "../../src/schedules/timeZone";
import { schedule } from "./scheduleHelpers";

const localDate = (t: Transition) => t.local.slice(0, 10);
const localHm = (t: Transition) => t.local.slice(11, 16);

describe("52 weeks of mon-fri 08:00-19:00", () => {
  it.each([
    // zone, the spring and autumn change days of 2026 (Sundays)
    ["Europe/Berlin", "2026-03-29", "2026-10-25"],
    ["America/New_York", "2026-03-08", "2026-11-01"],
  ])("%s: exactly two transitions each weekday, at 08:00 and 19:00 local, none at weekends, across both changes", (zone, spring, autumn) => {
    const s = schedule({ timezone: zone, periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] });
    // 52 weeks: Monday 2026-01-05 to Sunday 2027-01-03 (both bounds fall at night in both zones).
    const list = transitionsBetween(s, new Date("2026-01-05T00:00:00Z"), new Date("2027-01-04T00:00:00Z"));
    const byDate = new Map<string, Transition[]>();
    for (const t of list) byDate.set(localDate(t), [...(byDate.get(localDate(t)) ?? []), t]);
    let weekdays = 0;
    for (let d = 0; d < 52 * 7; d++) {
      const date = new Date(Date.UTC(2026, 0, 5 + d)).toISOString().slice(0, 10);
      const day = new Date(`${date}T00:00:00Z`).getUTCDay();
      const got = byDate.get(date) ?? [];
      if (day === 0 || day === 6) {
        expect(got, date).toEqual([]);
        continue;
      }
      weekdays++;
      expect(got.map((t) => `${localHm(t)} ${t.state}`), date).toEqual(["08:00 running", "19:00 stopped"]);
      expect(got[1]!.at.getTime() - got[0]!.at.getTime(), date).toBe(11 * 3_600_000);
    }
    expect(weekdays).toBe(260);
    expect(list).toHaveLength(520);
    // The Mondays after both change days carry the new offset.
    const mondayAfter = (sunday: string) => byDate.get(new Date(new Date(`${sunday}T00:00:00Z`).getTime() + 86_400_000).toISOString().slice(0, 10))!;
    const offset = (t: Transition) => t.local.slice(19);
    expect(offset(mondayAfter(spring)[0]!)).not.toBe(offset(byDate.get(new Date(new Date(`${spring}T00:00:00Z`).getTime() - 2 * 86_400_000).toISOString().slice(0, 10))![0]!));
    expect(offset(mondayAfter(autumn)[0]!)).toBe(offset(byDate.get("2026-01-05")![0]!));
  });

  it.each([
    ["Europe/Berlin", ["2026-03-29", "2026-10-25"]],
    ["America/New_York", ["2026-03-08", "2026-11-01"]],
  ])("%s: on the change days themselves an every-day 08:00-19:00 runs 08:00 to 19:00 local, 11 real hours", (zone, days) => {
    const s = schedule({ timezone: zone, periods: [{ beginTime: "08:00", endTime: "19:00" }] });
    for (const day of days) {
      const list = transitionsBetween(s, new Date(`${day}T00:00:00Z`), new Date(new Date(`${day}T00:00:00Z`).getTime() + 36 * 3_600_000)).filter((t) => localDate(t) === day);
      expect(list.map((t) => `${localHm(t)} ${t.state}`), day).toEqual(["08:00 running", "19:00 stopped"]);
      expect(list[1]!.at.getTime() - list[0]!.at.getTime()).toBe(11 * 3_600_000);
    }
  });
});

describe("the two DST choices", () => {
  it("a 02:30 that does not exist (Berlin, 2026-03-29) is reached when the clock jumps: the period starts at 03:00 CEST", () => {
    const s = schedule({ timezone: "Europe/Berlin", periods: [{ beginTime: "02:30", endTime: "04:00" }] });
    const day = transitionsBetween(s, new Date("2026-03-28T12:00:00Z"), new Date("2026-03-29T12:00:00Z"));
    expect(day.map((t) => [t.at.toISOString(), t.local, t.state])).toEqual([
      ["2026-03-29T01:00:00.000Z", "2026-03-29T03:00:00+02:00", "running"],
      ["2026-03-29T02:00:00.000Z", "2026-03-29T04:00:00+02:00", "stopped"],
    ]);
  });

  it("a period wholly inside the skipped hour does not run that day (and runs the day before)", () => {
    const s = schedule({ timezone: "Europe/Berlin", periods: [{ beginTime: "02:10", endTime: "02:50" }] });
    expect(transitionsBetween(s, new Date("2026-03-28T22:00:00Z"), new Date("2026-03-29T22:00:00Z"))).toEqual([]);
    expect(transitionsBetween(s, new Date("2026-03-27T22:00:00Z"), new Date("2026-03-28T22:00:00Z"))).toHaveLength(2);
  });

  it("a 01:30 that happens twice (New York, 2026-11-01) counts once, the first time: one start, no flapping in the repeated hour", () => {
    const s = schedule({ timezone: "America/New_York", periods: [{ beginTime: "01:30", endTime: "05:00" }] });
    const day = transitionsBetween(s, new Date("2026-11-01T00:00:00Z"), new Date("2026-11-01T18:00:00Z"));
    expect(day.map((t) => [t.at.toISOString(), t.local, t.state])).toEqual([
      ["2026-11-01T05:30:00.000Z", "2026-11-01T01:30:00-04:00", "running"],
      ["2026-11-01T10:00:00.000Z", "2026-11-01T05:00:00-05:00", "stopped"],
    ]);
    // During the second pass (01:00-02:00 EST) the schedule's clock stands at 02:00: still running.
    const second = scheduleStateAt(s, new Date("2026-11-01T06:15:00Z")); // 01:15 EST
    expect(second.state).toBe("running");
    expect(second.localTime).toBe("2026-11-01T02:00:00");
  });

  it("a stop inside the repeated hour happens once, at its first occurrence", () => {
    const s = schedule({ timezone: "America/New_York", periods: [{ beginTime: "01:00", endTime: "01:45" }] });
    const day = transitionsBetween(s, new Date("2026-11-01T00:00:00Z"), new Date("2026-11-01T18:00:00Z"));
    expect(day.map((t) => [t.local, t.state])).toEqual([
      ["2026-11-01T01:00:00-04:00", "running"],
      ["2026-11-01T01:45:00-04:00", "stopped"],
    ]);
  });

  it("a window holding the repeated hour lasts one real hour more; one across the skipped hour one less (as AWS's code behaves)", () => {
    const ny = schedule({ timezone: "America/New_York", periods: [{ beginTime: "00:30", endTime: "03:00" }] });
    const fall = transitionsBetween(ny, new Date("2026-11-01T00:00:00Z"), new Date("2026-11-01T18:00:00Z"));
    expect(fall[1]!.at.getTime() - fall[0]!.at.getTime()).toBe(3.5 * 3_600_000);
    const spring = transitionsBetween(ny, new Date("2026-03-08T00:00:00Z"), new Date("2026-03-08T18:00:00Z"));
    expect(spring[1]!.at.getTime() - spring[0]!.at.getTime()).toBe(1.5 * 3_600_000);
  });
});

describe("time zone names", () => {
  it("maps Windows names with CLDR's table and keeps IANA names", () => {
    expect(resolveTimeZone("W. Europe Standard Time")).toMatchObject({ ok: true, iana: "Europe/Berlin" });
    expect(resolveTimeZone("Eastern Standard Time")).toMatchObject({ ok: true, iana: "America/New_York" });
    expect(resolveTimeZone("Tokyo Standard Time")).toMatchObject({ ok: true, iana: "Asia/Tokyo" });
    expect(resolveTimeZone("Asia/Tokyo")).toMatchObject({ ok: true, iana: "Asia/Tokyo" });
    expect(resolveTimeZone("Mars/Olympus").ok).toBe(false);
  });

  it("a schedule in a Windows zone means the same as in its IANA zone", () => {
    const win = schedule({ timezone: "W. Europe Standard Time", periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] });
    const iana = schedule({ timezone: "Europe/Berlin", periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] });
    const from = new Date("2026-03-23T00:00:00Z");
    const to = new Date("2026-04-06T00:00:00Z");
    expect(transitionsBetween(win, from, to).map((t) => t.at.getTime())).toEqual(transitionsBetween(iana, from, to).map((t) => t.at.getTime()));
    expect(win.input.timezone).toBe("W. Europe Standard Time");
  });

  it("refuses an unknown zone naming the field", () => {
    const r = parseSchedule({ name: "x", timezone: "Europe/Atlantis", periods: [{ beginTime: "08:00" }] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.field)).toEqual(["timezone"]);
  });
});
