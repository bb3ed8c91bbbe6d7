/**
 * Validation of v2's AutoStop body, which its Logic App posts verbatim with every value as a string ("5", "00:05:00").
 * Each field is checked against what Azure Monitor metric alerts accept (docs/autostop.md), so a bad value is refused
 * here, naming the field, instead of failing later once per VM. Pure: never throws, collects every problem.
 */
import {
  BODY_FIELD,
  SCOPE_KEYS,
  describe,
  isObject,
  readBool,
  readKeys,
  readScopes,
  type FieldProblem,
  type ParseResult,
  type RequestLimits,
  type RequestScopes,
} from "../domain/scheduledRequest";

export type AlertOperator = "GreaterThan" | "GreaterThanOrEqual" | "LessThan" | "LessThanOrEqual";
export type AlertAggregation = "Average" | "Minimum" | "Maximum" | "Total" | "Count";

/** The metric alert condition every VM in scope gets. */
export interface AutoStopCondition {
  metricName: string;
  operator: AlertOperator;
  threshold: number;
  timeAggregation: AlertAggregation;
  /** ISO 8601 durations, as the metricAlerts API takes them. */
  evaluationFrequency: string;
  windowSize: string;
  severity: number;
  description: string;
}

export interface AutoStopRequest {
  /** Which stored AutoStop configuration this body sets; v2 had exactly one, so the default is "default". */
  name: string;
  /** False switches AutoStop off for this configuration: every alert it made is deleted. */
  enabled: boolean;
  whatIf: boolean;
  scopes: RequestScopes;
  condition: AutoStopCondition;
}

const TOP_KEYS = [
  "Action",
  "EnableClassic",
  "WhatIf",
  "RequestScopes",
  "AutoStop_Name",
  "AutoStop_Enabled",
  "AutoStop_MetricName",
  "AutoStop_Condition",
  "AutoStop_Description",
  "AutoStop_Frequency",
  "AutoStop_Severity",
  "AutoStop_Threshold",
  "AutoStop_TimeAggregationOperator",
  "AutoStop_TimeWindow",
] as const;

/** Allowed values of the metricAlerts API (2018-03-01): evaluation frequencies and window sizes, in minutes. */
export const FREQUENCY_MINUTES = [1, 5, 15, 30, 60] as const;
export const WINDOW_MINUTES = [1, 5, 15, 30, 60, 360, 720, 1440] as const;
const OPERATORS: readonly AlertOperator[] = ["GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"];
const AGGREGATIONS: readonly AlertAggregation[] = ["Average", "Minimum", "Maximum", "Total", "Count"];

/**
 * Platform metrics of Microsoft.Compute/virtualMachines that a "stop when idle" rule can sensibly watch
 * (Learn: "Supported metrics for Microsoft.Compute/virtualMachines").
 */
export const VM_METRICS = [
  "Percentage CPU",
  "Available Memory Bytes",
  "Available Memory Percentage",
  "Network In Total",
  "Network Out Total",
  "Network In",
  "Network Out",
  "Disk Read Bytes",
  "Disk Write Bytes",
  "Disk Read Operations/Sec",
  "Disk Write Operations/Sec",
  "CPU Credits Remaining",
  "CPU Credits Consumed",
] as const;

/** v2's defaults, used for a field the body leaves out. */
export const AUTOSTOP_DEFAULTS = {
  metricName: "Percentage CPU",
  operator: "LessThan" as AlertOperator,
  threshold: 5,
  timeAggregation: "Average" as AlertAggregation,
  frequencyMinutes: 5,
  windowMinutes: 360,
  severity: 2,
};

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,39}$/;

export function parseAutoStopRequest(body: unknown, limits: RequestLimits): ParseResult<AutoStopRequest> {
  try {
    return parseUnsafe(body, limits);
  } catch {
    return { ok: false, problems: [{ field: BODY_FIELD, message: "the body could not be read as a JSON object" }] };
  }
}

function parseUnsafe(body: unknown, limits: RequestLimits): ParseResult<AutoStopRequest> {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (!isObject(body)) {
    add(BODY_FIELD, `the body must be a JSON object like {"Action":"stop","AutoStop_Threshold":"5","RequestScopes":{...}}, got ${describe(body)}`);
    return { ok: false, problems };
  }
  const top = readKeys(body, TOP_KEYS, SCOPE_KEYS, "", "RequestScopes.", add);

  const action = top.get("Action");
  if (action !== undefined && action !== null && !(typeof action === "string" && action.trim().toLowerCase() === "stop")) {
    add("Action", `AutoStop only stops VMs: Action must be "stop" (or left out), got ${describe(action)}`);
  }
  readBool(top.get("EnableClassic"), "EnableClassic", add); // accepted and ignored, as in Scheduled
  const whatIf = readBool(top.get("WhatIf"), "WhatIf", add) ?? false;
  const enabled = readBool(top.get("AutoStop_Enabled"), "AutoStop_Enabled", add) ?? true;
  const name = readName(top.get("AutoStop_Name"), add);
  const scopes = readScopes(top.get("RequestScopes"), limits, add, TOP_KEYS);

  const metricName = readChoice(top.get("AutoStop_MetricName"), "AutoStop_MetricName", VM_METRICS, AUTOSTOP_DEFAULTS.metricName, add);
  const operator = readChoice(top.get("AutoStop_Condition"), "AutoStop_Condition", OPERATORS, AUTOSTOP_DEFAULTS.operator, add);
  const timeAggregation = readAggregation(top.get("AutoStop_TimeAggregationOperator"), add);
  const threshold = readNumber(top.get("AutoStop_Threshold"), "AutoStop_Threshold", AUTOSTOP_DEFAULTS.threshold, add);
  const severity = readSeverity(top.get("AutoStop_Severity"), add);
  const frequency = readTimespan(top.get("AutoStop_Frequency"), "AutoStop_Frequency", FREQUENCY_MINUTES, AUTOSTOP_DEFAULTS.frequencyMinutes, add);
  const window = readTimespan(top.get("AutoStop_TimeWindow"), "AutoStop_TimeWindow", WINDOW_MINUTES, AUTOSTOP_DEFAULTS.windowMinutes, add);
  if (frequency !== undefined && window !== undefined && window < frequency) {
    add("AutoStop_TimeWindow", `the time window (${window} min) must be at least the evaluation frequency AutoStop_Frequency (${frequency} min)`);
  }
  if (metricName === "Percentage CPU" && threshold !== undefined && (threshold < 0 || threshold > 100)) {
    add("AutoStop_Threshold", `Percentage CPU is a percentage: the threshold must be from 0 to 100, got ${threshold}`);
  }
  const description = readDescription(top.get("AutoStop_Description"), add);

  if (problems.length > 0 || !scopes || !metricName || !operator || !timeAggregation || threshold === undefined || severity === undefined || frequency === undefined || window === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    value: {
      name,
      enabled,
      whatIf,
      scopes,
      condition: {
        metricName,
        operator,
        threshold,
        timeAggregation,
        evaluationFrequency: isoMinutes(frequency),
        windowSize: isoMinutes(window),
        severity,
        description: description ?? `Stops the VM when ${metricName} (${timeAggregation.toLowerCase()} over ${window} min) is ${operatorWords(operator)} ${threshold}.`,
      },
    },
  };
}

type Add = (field: string, message: string) => void;

function readName(v: unknown, add: Add): string {
  if (v === undefined || v === null) return "default";
  if (typeof v === "string" && NAME_PATTERN.test(v.trim())) return v.trim().toLowerCase();
  add("AutoStop_Name", `AutoStop_Name must be 1-40 letters, digits or hyphens, starting with a letter or digit, got ${describe(v)}`);
  return "default";
}

function readChoice<T extends string>(v: unknown, field: string, allowed: readonly T[], fallback: T, add: Add): T | undefined {
  if (v === undefined || v === null) return fallback;
  const found = typeof v === "string" ? allowed.find((a) => a.toLowerCase() === v.trim().toLowerCase()) : undefined;
  if (found) return found;
  add(field, `${field} must be one of ${allowed.map((a) => `"${a}"`).join(", ")}, got ${describe(v)}`);
  return undefined;
}

function readAggregation(v: unknown, add: Add): AlertAggregation | undefined {
  const field = "AutoStop_TimeAggregationOperator";
  if (typeof v === "string" && v.trim().toLowerCase() === "last") {
    add(field, `"Last" is not an aggregation Azure Monitor metric alerts support (they take Average, Minimum, Maximum, Total or Count); use "Average" for "idle over the whole window"`);
    return undefined;
  }
  return readChoice(v, field, AGGREGATIONS, AUTOSTOP_DEFAULTS.timeAggregation, add);
}

function readNumber(v: unknown, field: string, fallback: number, add: Add): number | undefined {
  if (v === undefined || v === null) return fallback;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isFinite(n)) return n;
  add(field, `${field} must be a number such as "5", got ${describe(v)}`);
  return undefined;
}

function readSeverity(v: unknown, add: Add): number | undefined {
  if (v === undefined || v === null) return AUTOSTOP_DEFAULTS.severity;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\s*[0-4]\s*$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= 0 && n <= 4) return n;
  add("AutoStop_Severity", `AutoStop_Severity must be an integer from 0 (critical) to 4 (verbose), got ${describe(v)}`);
  return undefined;
}

function readDescription(v: unknown, add: Add): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string" && v.length <= 2048) return v;
  add("AutoStop_Description", `AutoStop_Description must be a string of at most 2048 characters, got ${describe(v)}`);
  return undefined;
}

/**
 * v2 sends .NET timespans ("00:05:00", "1.00:00:00"); ISO 8601 ("PT5M") is accepted too. Returns minutes when the
 * value is one Azure Monitor allows for this field.
 */
function readTimespan(v: unknown, field: string, allowed: readonly number[], fallback: number, add: Add): number | undefined {
  if (v === undefined || v === null) return fallback;
  const minutes = typeof v === "string" ? timespanMinutes(v.trim()) : undefined;
  if (minutes !== undefined && allowed.includes(minutes)) return minutes;
  const choices = allowed.map((m) => `"${dotNetTimespan(m)}"`).join(", ");
  add(field, `${field} must be one of ${choices} (hh:mm:ss, as Azure Monitor allows), got ${describe(v)}`);
  return undefined;
}

export function timespanMinutes(s: string): number | undefined {
  const dotNet = /^(?:(\d{1,2})\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(s);
  if (dotNet) {
    const [, d, h, m, sec] = dotNet;
    if (Number(sec) !== 0 || Number(m) > 59 || Number(h) > 23) return undefined;
    return Number(d ?? 0) * 1440 + Number(h) * 60 + Number(m);
  }
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) return Number(iso[1] ?? 0) * 1440 + Number(iso[2] ?? 0) * 60 + Number(iso[3] ?? 0);
  return undefined;
}

export function isoMinutes(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? "PT24H" : `P${minutes / 1440}D`;
  return minutes % 60 === 0 ? `PT${minutes / 60}H` : `PT${minutes}M`;
}

function dotNetTimespan(minutes: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return minutes >= 1440 ? `${Math.floor(minutes / 1440)}.${pad(Math.floor((minutes % 1440) / 60))}:${pad(minutes % 60)}:00` : `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00`;
}

function operatorWords(op: AlertOperator): string {
  return { GreaterThan: "above", GreaterThanOrEqual: "at least", LessThan: "below", LessThanOrEqual: "at most" }[op];
}
