import { describe, expect, it } from "vitest";
import { parseAutoStopRequest, timespanMinutes, isoMinutes } from "../../src/autostop/autoStopRequest";

const LIMITS = { maxScopeEntries: 50 };
const SUB = "12345678-1234-4678-9234-123456781234";

/** The AutoStop body of v2's docs and its ststv2_vms_AutoStop Logic App: every value a string. */
const V2_BODY = {
  Action: "stop",
  EnableClassic: false,
  AutoStop_MetricName: "Percentage CPU",
  AutoStop_Condition: "LessThan",
  AutoStop_Description: "Alert to stop the VM if the CPU % exceed the threshold",
  AutoStop_Frequency: "00:05:00",
  AutoStop_Severity: "2",
  AutoStop_Threshold: "5",
  AutoStop_TimeAggregationOperator: "Average",
  AutoStop_TimeWindow: "06:00:00",
  RequestScopes: { Subscriptions: [`/subscriptions/${SUB}/`], ExcludedVMLists: [] },
};

function fieldsOf(body: unknown): string[] {
  const r = parseAutoStopRequest(body, LIMITS);
  if (r.ok) throw new Error("expected problems");
  return r.problems.map((p) => p.field);
}

describe("v2's AutoStop body", () => {
  it("accepts the documented body unchanged and turns it into a metric alert condition", () => {
    const r = parseAutoStopRequest(V2_BODY, LIMITS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      name: "default", enabled: true, whatIf: false,
      condition: { metricName: "Percentage CPU", operator: "LessThan", threshold: 5, timeAggregation: "Average", evaluationFrequency: "PT5M", windowSize: "PT6H", severity: 2 },
    });
    expect(r.value.scopes.subscriptions).toEqual([SUB]);
  });

  it('accepts "EnableClassic": true as v2 did', () => {
    expect(parseAutoStopRequest({ ...V2_BODY, EnableClassic: true }, LIMITS).ok).toBe(true);
    expect(parseAutoStopRequest({ ...V2_BODY, EnableClassic: "true" }, LIMITS).ok).toBe(true);
  });

  it("fills v2's defaults for fields left out", () => {
    const r = parseAutoStopRequest({ Action: "stop", RequestScopes: V2_BODY.RequestScopes }, LIMITS);
    expect(r.ok && r.value.condition).toMatchObject({ metricName: "Percentage CPU", operator: "LessThan", threshold: 5, windowSize: "PT6H", evaluationFrequency: "PT5M" });
  });

  it("names each field Azure Monitor would refuse", () => {
    expect(fieldsOf({ ...V2_BODY, AutoStop_Condition: "Below" })).toEqual(["AutoStop_Condition"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_Severity: "5" })).toEqual(["AutoStop_Severity"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_Frequency: "00:07:00" })).toEqual(["AutoStop_Frequency"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_TimeWindow: "05:00:00" })).toEqual(["AutoStop_TimeWindow"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_TimeAggregationOperator: "Last" })).toEqual(["AutoStop_TimeAggregationOperator"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_Threshold: "five" })).toEqual(["AutoStop_Threshold"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_Threshold: "150" })).toEqual(["AutoStop_Threshold"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_MetricName: "CPU" })).toEqual(["AutoStop_MetricName"]);
    expect(fieldsOf({ ...V2_BODY, Action: "start" })).toEqual(["Action"]);
    expect(fieldsOf({ ...V2_BODY, AutoStop_Tresholds: "5" })).toEqual(["AutoStop_Tresholds"]);
    expect(fieldsOf({ ...V2_BODY, RequestScopes: undefined })).toEqual(["RequestScopes"]);
  });

  it("refuses a window shorter than the evaluation frequency, naming the window", () => {
    const r = parseAutoStopRequest({ ...V2_BODY, AutoStop_Frequency: "01:00:00", AutoStop_TimeWindow: "00:30:00" }, LIMITS);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([{ field: "AutoStop_TimeWindow", message: expect.stringMatching(/at least the evaluation frequency/) }]);
  });

  it("collects every problem at once", () => {
    expect(fieldsOf({ ...V2_BODY, AutoStop_Severity: "x", AutoStop_Condition: "x", AutoStop_Frequency: "x" }).sort()).toEqual(["AutoStop_Condition", "AutoStop_Frequency", "AutoStop_Severity"]);
  });

  it("switches off with AutoStop_Enabled false, and names a configuration", () => {
    const r = parseAutoStopRequest({ ...V2_BODY, AutoStop_Enabled: "false", AutoStop_Name: "Dev-Boxes" }, LIMITS);
    expect(r.ok && { enabled: r.value.enabled, name: r.value.name }).toEqual({ enabled: false, name: "dev-boxes" });
    expect(fieldsOf({ ...V2_BODY, AutoStop_Name: "no spaces please" })).toEqual(["AutoStop_Name"]);
  });
});

describe("timespans", () => {
  it("reads .NET and ISO 8601 forms", () => {
    expect(timespanMinutes("00:05:00")).toBe(5);
    expect(timespanMinutes("06:00:00")).toBe(360);
    expect(timespanMinutes("1.00:00:00")).toBe(1440);
    expect(timespanMinutes("PT15M")).toBe(15);
    expect(timespanMinutes("PT1H")).toBe(60);
    expect(timespanMinutes("00:05:30")).toBeUndefined();
    expect(timespanMinutes("P")).toBeUndefined();
    expect(isoMinutes(1440)).toBe("PT24H");
    expect(isoMinutes(360)).toBe("PT6H");
    expect(isoMinutes(5)).toBe("PT5M");
  });
});
