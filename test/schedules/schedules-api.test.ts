/**
 * The schedules API's work (src/schedules/scheduleApi.ts) over both stores: the table adapter against real Azurite,
 * and its in-memory twin. CRUD, preview, evaluate, and bad input answered 400 naming each field with nothing written.
 */
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCHEDULES_TABLE, TableScheduleStore } from "../../src/adapters/tableScheduleStore";
import { startAzurite, type RunningAzurite } from "../../src/local/azurite";
import { deleteSchedule, evaluateSchedule, getSchedule, listSchedules, previewSchedule, putSchedule, type ApiAnswer } from "../../src/schedules/scheduleApi";
import type { ScheduleStore } from "../../src/schedules/scheduleStore";
import { MemoryScheduleStore } from "../twins/memoryScheduleStore";

let azurite: RunningAzurite;
const stores: Record<string, ScheduleStore> = { memory: new MemoryScheduleStore() };

beforeAll(async () => {
  azurite = await startAzurite();
  stores.table = new TableScheduleStore(TableClient.fromConnectionString(azurite.connectionString, SCHEDULES_TABLE, { allowInsecureConnection: true }));
});
afterAll(async () => azurite?.stop());

const now = new Date("2026-03-27T12:00:00Z"); // a Friday, two days before Berlin's spring change
const office = { timezone: "W. Europe Standard Time", description: "Berlin office", periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] };

function body(a: ApiAnswer): any {
  if (a.kind !== "ok") throw new Error(`expected ok, got ${JSON.stringify(a)}`);
  return a.body;
}
const fieldsOf = (a: ApiAnswer) => (a.kind === "invalid" ? a.problems.map((p) => p.field) : `not invalid: ${JSON.stringify(a)}`);

describe.each(["memory", "table"])("schedules API over the %s store", (kind) => {
  const store = () => stores[kind]!;

  it("PUT creates (201) then replaces (200); GET reads it back with its next transitions; GET lists; DELETE removes (204, then 404)", async () => {
    const created = await putSchedule(store(), "berlin-office", office, now);
    expect(created).toMatchObject({ kind: "ok", status: 201 });
    expect(body(created)).toMatchObject({ name: "berlin-office", timezone: "W. Europe Standard Time", ianaTimeZone: "Europe/Berlin", stopNewVms: true });
    expect(body(created).nextTransitions).toEqual([
      { at: "2026-03-27T18:00:00.000Z", local: "2026-03-27T19:00:00+01:00", state: "stopped", from: "running", period: null, reason: expect.any(String) },
      { at: "2026-03-30T06:00:00.000Z", local: "2026-03-30T08:00:00+02:00", state: "running", from: "stopped", period: "period1", reason: expect.stringContaining("08:00-19:00") },
    ]);
    const replaced = await putSchedule(store(), "berlin-office", { ...office, description: "Berlin office, new hours", periods: [{ beginTime: "07:30", endTime: "18:00", weekdays: "mon-fri" }] }, now);
    expect(replaced).toMatchObject({ kind: "ok", status: 200 });
    const read = body(await getSchedule(store(), "berlin-office", now));
    expect(read).toMatchObject({ description: "Berlin office, new hours", periods: [{ beginTime: "07:30", endTime: "18:00", weekdays: "mon-fri" }], updatedAt: now.toISOString() });
    await putSchedule(store(), "ny-office", { timezone: "America/New_York", periods: [{ beginTime: "07:00", endTime: "18:00", weekdays: "mon-fri" }] }, now);
    expect(body(await listSchedules(store(), now)).schedules.map((s: { name: string }) => s.name)).toEqual(["berlin-office", "ny-office"]);
    expect(await deleteSchedule(store(), "ny-office")).toEqual({ kind: "ok", status: 204, body: undefined });
    expect(await deleteSchedule(store(), "ny-office")).toMatchObject({ kind: "problem", status: 404 });
    expect(await getSchedule(store(), "ny-office", now)).toMatchObject({ kind: "problem", status: 404 });
  });

  it("bad input is 400 naming each field, and nothing is written", async () => {
    const before = body(await getSchedule(store(), "berlin-office", now));
    expect(fieldsOf(await putSchedule(store(), "berlin-office", { timezone: "Europe/Nowhere", periods: [{ beginTime: "19:00", endTime: "08:00", weekdays: "mon-fry" }], enforced: "yes" }, now)))
      .toEqual(["timezone", "periods[0].endTime", "periods[0].weekdays", "enforced"]);
    expect(fieldsOf(await putSchedule(store(), "berlin-office", { ...office, name: "other" }, now))).toEqual(["name"]);
    expect(fieldsOf(await putSchedule(store(), "bad name!", office, now))).toEqual(["name (path)"]);
    expect(fieldsOf(await putSchedule(store(), "x", "not an object", now))).toEqual(["(body)"]);
    expect(fieldsOf(await getSchedule(store(), "bad name!", now))).toEqual(["name (path)"]);
    expect(fieldsOf(await deleteSchedule(store(), "bad name!"))).toEqual(["name (path)"]);
    expect(body(await getSchedule(store(), "berlin-office", now))).toEqual(before);
    expect(await store().get("x")).toBeUndefined();
  });

  it("preview lists the transitions in the window as UTC and local times, across the DST change", async () => {
    await putSchedule(store(), "berlin-office", office, now);
    const p = body(await previewSchedule(store(), "berlin-office", { from: "2026-03-27T00:00:00Z", to: "2026-03-31T00:00:00Z" }, now));
    expect(p).toMatchObject({ schedule: "berlin-office", ianaTimeZone: "Europe/Berlin", stateAtFrom: "stopped" });
    expect(p.transitions.map((t: { at: string; local: string; state: string }) => [t.at, t.local, t.state])).toEqual([
      ["2026-03-27T07:00:00.000Z", "2026-03-27T08:00:00+01:00", "running"],
      ["2026-03-27T18:00:00.000Z", "2026-03-27T19:00:00+01:00", "stopped"],
      ["2026-03-30T06:00:00.000Z", "2026-03-30T08:00:00+02:00", "running"],
      ["2026-03-30T17:00:00.000Z", "2026-03-30T19:00:00+02:00", "stopped"],
    ]);
    expect(fieldsOf(await previewSchedule(store(), "berlin-office", { from: "yesterday", to: "2026-03-31" }, now))).toEqual(["from (query)", "to (query)"]);
    expect(fieldsOf(await previewSchedule(store(), "berlin-office", { from: "2026-03-31T00:00:00Z", to: "2026-03-30T00:00:00Z" }, now))).toEqual(["to (query)"]);
    expect(fieldsOf(await previewSchedule(store(), "berlin-office", { from: "2026-01-01T00:00:00Z", to: "2028-01-01T00:00:00Z" }, now))).toEqual(["to (query)"]);
    expect(await previewSchedule(store(), "nobody", {}, now)).toMatchObject({ kind: "problem", status: 404 });
  });

  it("evaluate answers for an inline or a stored schedule and writes nothing", async () => {
    const before = await store().list();
    const inline = body(await evaluateSchedule(store(), { schedule: { timezone: "Asia/Tokyo", periods: [{ beginTime: "09:00", endTime: "18:00" }] }, at: "2026-03-27T01:00:00Z" }, now));
    expect(inline).toEqual({ desiredState: "running", period: "period1", localTime: "2026-03-27T10:00:00", timezone: "Asia/Tokyo", at: "2026-03-27T01:00:00.000Z", reason: expect.stringContaining("09:00-18:00") });
    const stored = body(await evaluateSchedule(store(), { schedule: "berlin-office", at: "2026-03-28T10:00:00+01:00" }, now));
    expect(stored).toMatchObject({ desiredState: "stopped", period: null, localTime: "2026-03-28T10:00:00", schedule: "berlin-office" });
    const oneSided = body(await evaluateSchedule(store(), { schedule: { timezone: "UTC", periods: [{ beginTime: "10:00" }] }, at: "2026-03-27T09:00:00Z" }, now));
    expect(oneSided.desiredState).toBe("unchanged");
    expect(body(await evaluateSchedule(store(), { schedule: "berlin-office" }, now)).at).toBe(now.toISOString());
    expect(fieldsOf(await evaluateSchedule(store(), { schedule: { timezone: "UTC", periods: [{ beginTime: "9" }] }, at: "soon", extra: 1 }, now))).toEqual(["extra", "at", "schedule.periods[0].beginTime"]);
    expect(fieldsOf(await evaluateSchedule(store(), {}, now))).toEqual(["schedule"]);
    expect(fieldsOf(await evaluateSchedule(store(), [], now))).toEqual(["(body)"]);
    expect(await evaluateSchedule(store(), { schedule: "nobody" }, now)).toMatchObject({ kind: "problem", status: 404 });
    expect(await store().list()).toEqual(before);
  });
});
