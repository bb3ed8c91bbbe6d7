/**
 * Bounded platform-event input, pure: what a hostile or broken agent's report can do to the scheduler. Durations are
 * capped to what IMDS announces, far-off and impossible dates are refused or open no window, act messages never wait
 * past their request's deadline, and a VM's reports are rate-limited.
 */
import { describe, expect, it } from "vitest";
import { parseEventReport, REPORTED_DURATION_CAP_SECONDS } from "../../src/platformEvents/eventReport";
import { MAX_WINDOW_REACH_SECONDS, MAX_WINDOW_SECONDS, maintenanceWindow } from "../../src/platformEvents/maintenanceWindow";
import { REPORT_RATE_LIMIT, takeReportToken, type ReportBucket } from "../../src/platformEvents/reportRateLimit";
import { admitReport, inScopes, type ScheduledEventLog } from "../../src/platformEvents/reportAdmission";
import { actMessages } from "../../src/engine/actMessages";
import type { VmRecord } from "../../src/engine/records";
import { MemoryDesiredStateStore } from "../twins/memoryDesiredStateStore";

const SUB = "aaaaaaaa-0000-4000-8000-000000000021";
const VM = `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/web-01`;
const now = new Date("2026-11-23T19:00:00Z");

const body = (event: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  vmId: VM, documentIncarnation: 3,
  event: { EventId: "0000aaaa-5e5e-4000-8000-000000000001", EventType: "Freeze", Resources: ["web-01"], EventStatus: "Scheduled", NotBefore: new Date(now.getTime() + 900_000).toUTCString(), ...event },
  ...over,
});

function parsed(event: Record<string, unknown>) {
  const result = parseEventReport(body(event));
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.value;
}

describe("platform-event durations and dates", () => {
  for (const duration of [1e9, 1e20, 7 * 24 * 3600, 7 * 24 * 3600 + 1]) {
    it(`DurationInSeconds ${duration} cannot hold a VM off its schedule for more than its kind's cap (was: 31 years, a poisoned act, a 500)`, () => {
      for (const kind of ["Freeze", "Reboot", "Redeploy"]) {
        const report = parsed({ EventType: kind, DurationInSeconds: duration });
        expect(report.durationSeconds).toBeLessThanOrEqual(REPORTED_DURATION_CAP_SECONDS);
        const window = maintenanceWindow(report, now)!;
        expect(Number.isNaN(window.end.getTime())).toBe(false);
        expect((window.end.getTime() - window.start.getTime()) / 1000).toBe(MAX_WINDOW_SECONDS[kind]);
        expect(window.end.getTime() - now.getTime()).toBeLessThanOrEqual(MAX_WINDOW_REACH_SECONDS * 1000);
      }
    });
  }

  it("a real IMDS duration (9 s Freeze, 900 s Reboot) is kept as reported", () => {
    const freeze = maintenanceWindow(parsed({ DurationInSeconds: 9 }), now)!;
    expect(freeze.end.getTime() - freeze.start.getTime()).toBe(9_000);
    const reboot = maintenanceWindow(parsed({ EventType: "Reboot", DurationInSeconds: 900 }), now)!;
    expect(reboot.end.getTime() - reboot.start.getTime()).toBe(900_000);
  });

  it("an event announced days ahead opens no window yet (it opens when the agent reports it Started)", () => {
    const later = parsed({ NotBefore: new Date(now.getTime() + 3 * 24 * 3600_000).toUTCString(), DurationInSeconds: 60 });
    expect(maintenanceWindow(later, now)).toBeUndefined();
    const started = parsed({ EventStatus: "Started", NotBefore: "", DurationInSeconds: 60 });
    expect(maintenanceWindow(started, now)).toEqual({ start: now, end: new Date(now.getTime() + 60_000) });
  });

  it("dates and counters storage cannot keep are refused with a 400 naming the field, not a 500", () => {
    const far = parseEventReport(body({ NotBefore: "Sat, 13 Sep 275760 00:00:00 GMT" }));
    expect(far.ok).toBe(false);
    expect(!far.ok && far.problems.map((p) => p.field)).toEqual(["event.NotBefore"]);
    const ancient = parseEventReport(body({ NotBefore: "Mon, 01 Jan 1600 00:00:00 GMT" }));
    expect(!ancient.ok && ancient.problems.map((p) => p.field)).toEqual(["event.NotBefore"]);
    const incarnation = parseEventReport(body({}, { documentIncarnation: 1e20 }));
    expect(!incarnation.ok && incarnation.problems.map((p) => p.field)).toEqual(["documentIncarnation"]);
  });

  it("an act message held by a window past the request's deadline is due at the deadline, never later (never past the queue's 7 days)", () => {
    const deadline = new Date(now.getTime() + 3600_000);
    const row = { requestId: "r", key: VM.toLowerCase(), id: VM, subscriptionId: SUB, resourceGroup: "rg-web", name: "web-01", location: "westeurope", status: "Pending", attempt: 0, dueAt: new Date(now.getTime() + 30 * 24 * 3600_000) } as VmRecord;
    const [batch] = actMessages({ requestId: "r", action: "start", deadline }, [row], now);
    expect(batch!.delaySeconds).toBe(3600);
  });
});

describe("the report rate limit", () => {
  it("a VM flooding reports gets its burst, then one report per refill; a quiet VM is never refused", () => {
    let bucket: ReportBucket | undefined;
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      const taken = takeReportToken(bucket, now);
      if (!taken.ok) {
        expect(taken.retryAfterSeconds).toBeGreaterThan(0);
        continue;
      }
      bucket = taken.bucket;
      accepted++;
    }
    expect(accepted).toBe(REPORT_RATE_LIMIT.burst);
    const refused = takeReportToken(bucket, now);
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 3600 / REPORT_RATE_LIMIT.perHour });
    expect(takeReportToken(bucket, new Date(now.getTime() + 360_000)).ok).toBe(true);
    // An agent's real pace: two reports an event, an event a day.
    let quiet: ReportBucket | undefined;
    for (let day = 0; day < 60; day++) {
      for (const minute of [0, 15]) {
        const taken = takeReportToken(quiet, new Date(now.getTime() + day * 86_400_000 + minute * 60_000));
        expect(taken.ok).toBe(true);
        if (taken.ok) quiet = taken.bucket;
      }
    }
  });
});

describe("which VMs' reports are kept", () => {
  class Log implements ScheduledEventLog {
    recorded = 0;
    bucket?: ReportBucket;
    async takeReportToken(_vmKey: string, at: Date) {
      const taken = takeReportToken(this.bucket, at);
      if (taken.ok) this.bucket = taken.bucket;
      return taken;
    }
    async record() {
      this.recorded++;
    }
  }

  it("a VM outside the managed scopes that no request named is refused (403) and nothing is written", async () => {
    const log = new Log();
    const verdict = await admitReport({ targetScopes: [`/subscriptions/${SUB}/resourceGroups/rg-other`], desiredStates: new MemoryDesiredStateStore(), log }, parsed({}), now);
    expect(verdict).toMatchObject({ recorded: false, status: 403 });
    expect(log.recorded).toBe(0);
    expect(log.bucket).toBeUndefined();
  });

  it("a VM in TARGET_SCOPES, or one a request gave a desired state, is kept; a flood from it is refused with 429", async () => {
    const log = new Log();
    expect(await admitReport({ targetScopes: [`/subscriptions/${SUB.toUpperCase()}/`], desiredStates: new MemoryDesiredStateStore(), log }, parsed({}), now)).toEqual({ recorded: true });
    const desired = new MemoryDesiredStateStore();
    await desired.claim([{ vmKey: VM.toLowerCase(), subscriptionId: SUB, desired: "running", requestId: "r", action: "start", requestCreatedAt: now }]);
    const named = new Log();
    expect(await admitReport({ targetScopes: [], desiredStates: desired, log: named }, parsed({}), now)).toEqual({ recorded: true });
    for (let i = 0; i < 100; i++) await admitReport({ targetScopes: [], desiredStates: desired, log: named }, parsed({}), now);
    expect(named.recorded).toBe(REPORT_RATE_LIMIT.burst);
    expect(await admitReport({ targetScopes: [], desiredStates: desired, log: named }, parsed({}), now)).toMatchObject({ recorded: false, status: 429, retryAfterSeconds: 360 });
  });

  it("scope matching is by whole path segments, case-insensitive", () => {
    expect(inScopes(VM.toLowerCase(), [`/subscriptions/${SUB}/resourceGroups/RG-WEB`])).toBe(true);
    expect(inScopes(VM.toLowerCase(), [`/subscriptions/${SUB}/resourceGroups/rg-we`])).toBe(false);
    expect(inScopes(VM.toLowerCase(), ["web-01"])).toBe(false);
  });
});
