import { describe, expect, it } from "vitest";
import { nextOccurrence, parseNcrontab } from "../../src/local/host/ncrontab";
import { compileRoute, matchRoute } from "../../src/local/host/routes";
import { expandGlob } from "../../src/local/host/glob";
import { parseTimeSpan, queueOptions } from "../../src/local/host/settings";
import { decodeMessage, encodeMessage } from "../../src/local/host/queueConnection";
import { join } from "node:path";

const next = (expr: string, iso: string): string => nextOccurrence(parseNcrontab(expr), new Date(iso)).toISOString();

describe("NCRONTAB", () => {
  it("every second / every five minutes", () => {
    expect(next("* * * * * *", "2024-01-01T00:00:00.500Z")).toBe("2024-01-01T00:00:01.000Z");
    expect(next("0 */5 * * * *", "2024-01-01T10:02:03Z")).toBe("2024-01-01T10:05:00.000Z");
    expect(next("0 */5 * * * *", "2024-01-01T10:55:00Z")).toBe("2024-01-01T11:00:00.000Z");
  });
  it("lists, ranges, steps within ranges", () => {
    expect(next("30 15,45 9-17 * * *", "2024-01-01T17:45:30Z")).toBe("2024-01-02T09:15:30.000Z");
    expect(next("0 0 8-18/4 * * *", "2024-01-01T12:00:00Z")).toBe("2024-01-01T16:00:00.000Z");
  });
  it("day of week (names and 7 = Sunday), day of month, month rollover, leap day", () => {
    // 2024-01-01 is a Monday
    expect(next("0 0 9 * * 1-5", "2024-01-05T10:00:00Z")).toBe("2024-01-08T09:00:00.000Z");
    expect(next("0 0 9 * * SUN", "2024-01-01T00:00:00Z")).toBe("2024-01-07T09:00:00.000Z");
    expect(next("0 0 9 * * 7", "2024-01-01T00:00:00Z")).toBe("2024-01-07T09:00:00.000Z");
    expect(next("0 0 0 31 * *", "2024-04-01T00:00:00Z")).toBe("2024-05-31T00:00:00.000Z");
    expect(next("0 0 0 29 2 *", "2024-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
    expect(next("0 0 0 1 JAN *", "2024-06-01T00:00:00Z")).toBe("2025-01-01T00:00:00.000Z");
    expect(next("59 59 23 31 12 *", "2024-12-31T23:59:59Z")).toBe("2025-12-31T23:59:59.000Z");
  });
  it("five fields mean second 0; invalid expressions are rejected", () => {
    expect(next("*/10 * * * *", "2024-01-01T00:01:00Z")).toBe("2024-01-01T00:10:00.000Z");
    expect(() => parseNcrontab("* * *")).toThrow(/6 fields/);
    expect(() => parseNcrontab("60 * * * * *")).toThrow(/out of range/);
    expect(() => parseNcrontab("*/0 * * * * *")).toThrow(/step/);
    expect(() => nextOccurrence(parseNcrontab("0 0 0 30 2 *"), new Date())).toThrow(/no occurrence/);
  });
});

describe("routes", () => {
  it("matches templates with optional params and constraints, case-insensitively", () => {
    const r = compileRoute("items/{id}/{extra?}");
    expect(matchRoute(r, "/items/42")).toEqual({ id: "42" });
    expect(matchRoute(r, "/Items/42/x")).toEqual({ id: "42", extra: "x" });
    expect(matchRoute(r, "/items")).toBeUndefined();
    expect(matchRoute(r, "/items/1/2/3")).toBeUndefined();
    expect(matchRoute(compileRoute("a/{n:int}"), "/a/x")).toBeUndefined();
    expect(matchRoute(compileRoute("a/{n:int}"), "/a/7")).toEqual({ n: "7" });
    expect(matchRoute(compileRoute("f/{*rest}"), "/f/a/b%20c")).toEqual({ rest: "a/b c" });
  });
});

describe("settings, glob and encoding", () => {
  it("parses TimeSpans and queue defaults", () => {
    expect(parseTimeSpan("00:01:00", 0)).toBe(60_000);
    expect(parseTimeSpan("1.00:00:01.5", 0)).toBe(86_401_500);
    expect(queueOptions({})).toEqual({
      batchSize: 16, newBatchThreshold: 8, maxDequeueCount: 5, visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 60_000, messageEncoding: "base64",
    });
  });
  it("expands package.json main globs", () => {
    const files = expandGlob(join(__dirname, "../fixtures/host-app"), "functions/*.js");
    expect(files.map((f) => f.split("/").pop())).toEqual(["http.js", "queue.js", "timer.js"]);
  });
  it("round-trips base64 and rejects non-base64 text", () => {
    expect(decodeMessage(encodeMessage('{"a":"é"}', "base64"), "base64")).toBe('{"a":"é"}');
    expect(() => decodeMessage('{"a":1}', "base64")).toThrow(/base64/);
    expect(decodeMessage("plain", "none")).toBe("plain");
  });
});
