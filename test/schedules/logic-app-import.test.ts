/**
 * Migration: v2's Logic Apps (a Recurrence with a Windows time zone and a body posting Action start/stop) become one
 * schedule, through `npm run schedules -- import-logic-app` (scripts/schedules.mjs over src/schedules/logicAppImport.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { transitionsBetween } from "../../src/schedules/evaluate";
import { importLogicApps } from "../../src/schedules/logicAppImport";
import { parseSchedule } from "../../src/schedules/schedule";
import { REPO_ROOT } from "../../src/local/world";

/** A workflow as `az logic workflow show` prints it, shaped like v2's ststv2_vms_Scheduled_start/stop. */
function v2Workflow(name: string, action: "start" | "stop", hour: number, weekDays?: string[], extra: Record<string, unknown> = {}) {
  return {
    name,
    type: "Microsoft.Logic/workflows",
    properties: {
      definition: {
        $schema: "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        triggers: { Recurrence: { type: "Recurrence", recurrence: { frequency: weekDays ? "Week" : "Day", interval: 1, timeZone: "W. Europe Standard Time", schedule: { hours: [String(hour)], minutes: [0], ...(weekDays ? { weekDays } : {}) }, ...extra } } },
        actions: {
          Scheduled: {
            type: "Function",
            inputs: { body: { Action: action, EnableClassic: false, RequestScopes: { ExcludedVMLists: [], ResourceGroups: ["/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-web-prod/"] } }, method: "POST" },
          },
        },
      },
    },
  };
}
const workdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

describe("import-logic-app", () => {
  it("a start and a stop on the same days become one period in the Logic Apps' time zone, with the same transitions", () => {
    const r = importLogicApps([v2Workflow("ststv2_vms_Scheduled_start", "start", 8, workdays), v2Workflow("ststv2_vms_Scheduled_stop", "stop", 19, workdays)], "office");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.schedule).toMatchObject({ name: "office", timezone: "W. Europe Standard Time", periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon,tue,wed,thu,fri" }] });
    expect(r.notes.join("\n")).toMatch(/RequestScopes are not part of a schedule; tag those VMs or resource groups startstop-schedule=office/);
    const parsed = parseSchedule(r.schedule, "office");
    if (!parsed.ok) throw new Error("imported schedule does not parse");
    const week = transitionsBetween(parsed.schedule, new Date("2026-03-23T00:00:00Z"), new Date("2026-03-30T00:00:00Z"));
    expect(week.map((t) => t.local.slice(0, 16))).toEqual(["2026-03-23T08:00", "2026-03-23T19:00", "2026-03-24T08:00", "2026-03-24T19:00", "2026-03-25T08:00", "2026-03-25T19:00", "2026-03-26T08:00", "2026-03-26T19:00", "2026-03-27T08:00", "2026-03-27T19:00"]);
  });

  it("a lone daily stop becomes an end-only period; recurrences a schedule cannot hold are refused with the reason", () => {
    const stop = importLogicApps([v2Workflow("nightly_stop", "stop", 22)], "nightly");
    expect(stop).toMatchObject({ ok: true, schedule: { periods: [{ endTime: "22:00" }] } });
    const hourly = importLogicApps([{ ...v2Workflow("x", "start", 8), properties: { definition: { triggers: { Recurrence: { type: "Recurrence", recurrence: { frequency: "Hour", interval: 2 } } }, actions: v2Workflow("x", "start", 8).properties.definition.actions } } }], "x");
    expect(hourly).toMatchObject({ ok: false, errors: [expect.stringContaining("every 2 Hour cannot be a schedule")] });
    expect(importLogicApps([{ hello: "world" }], "x")).toMatchObject({ ok: false, errors: [expect.stringContaining("no Logic App workflow definition")] });
    const twoZones = v2Workflow("b", "stop", 19, workdays);
    (twoZones.properties.definition.triggers.Recurrence.recurrence as Record<string, unknown>).timeZone = "Eastern Standard Time";
    expect(importLogicApps([v2Workflow("a", "start", 8, workdays), twoZones], "x")).toMatchObject({ ok: false, errors: [expect.stringContaining("different time zones")] });
  });

  it("npm run schedules -- import-logic-app prints the PUT body (stdout) and the notes (stderr)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ssv-import-"));
    const start = path.join(dir, "start.json");
    const stop = path.join(dir, "stop.json");
    writeFileSync(start, JSON.stringify(v2Workflow("ststv2_vms_Scheduled_start", "start", 8, workdays)));
    writeFileSync(stop, JSON.stringify(v2Workflow("ststv2_vms_Scheduled_stop", "stop", 19, workdays)));
    const out = execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts/schedules.mjs"), "import-logic-app", start, stop, "--name", "berlin-office"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    expect(JSON.parse(out)).toMatchObject({ name: "berlin-office", periods: [{ beginTime: "08:00", endTime: "19:00" }] });
    const bad = spawnSync(process.execPath, [path.join(REPO_ROOT, "scripts/schedules.mjs"), "import-logic-app", path.join(dir, "missing.json")], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/import-logic-app: ENOENT/);
  });
});
