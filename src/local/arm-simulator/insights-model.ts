/**
 * Microsoft.Insights in the simulator: metric alert rules and action groups as stored resources (2018-03-01 and
 * 2021-09-01/2023-01-01 shapes), each VM's "Percentage CPU" as a series the control API sets, and the evaluation of
 * every enabled rule in simulated time (docs/local-world.md "AutoStop"). No HTTP here: routes in insights-routes.ts,
 * deliveries in alert-webhooks.ts.
 */
import { createHash } from "node:crypto";

export interface StoredResource {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags: Record<string, string>;
  properties: Record<string, unknown>;
}

export interface RuleState {
  /** When the rule was last evaluated (simulated epoch ms). */
  lastEvaluatedAt?: number;
  nextEvaluationAt: number;
  monitorCondition: "Fired" | "Resolved" | "None";
  /** The alert instance of the current firing (one per Fired → Resolved cycle). */
  alertInstanceId?: string;
  firedAt?: number;
  firedCount: number;
  lastValue?: number;
}

export interface Criterion {
  metricName: string;
  operator: string;
  threshold: number;
  timeAggregation: string;
}

/** A VM's CPU: level changes over simulated time; before the first change it is DEFAULT_CPU ("busy"). */
export const DEFAULT_CPU = 55;

export const FREQUENCIES = ["PT1M", "PT5M", "PT15M", "PT30M", "PT1H"];
export const WINDOWS = ["PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "PT24H"];
export const OPERATORS = ["GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "Equals"];
export const AGGREGATIONS = ["Average", "Minimum", "Maximum", "Total", "Count"];

export function durationMs(iso: string): number {
  const m = /^PT?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?$/i.exec(iso);
  if (!m) return NaN;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000;
}

export class InsightsModel {
  readonly alerts = new Map<string, StoredResource>();
  readonly actionGroups = new Map<string, StoredResource>();
  readonly states = new Map<string, RuleState>();
  private readonly cpu = new Map<string, Array<{ at: number; percent: number }>>();

  clear(): void {
    this.alerts.clear();
    this.actionGroups.clear();
    this.states.clear();
    this.cpu.clear();
  }

  putAlert(resource: StoredResource, now: number): { created: boolean } {
    const key = resource.id.toLowerCase();
    const created = !this.alerts.has(key);
    this.alerts.set(key, resource);
    const frequency = durationMs(String(resource.properties.evaluationFrequency));
    const state = this.states.get(key);
    // A changed rule keeps its firing state; its next evaluation follows the (possibly new) frequency.
    this.states.set(key, state ? { ...state, nextEvaluationAt: Math.min(state.nextEvaluationAt, now + frequency) } : { nextEvaluationAt: now + frequency, monitorCondition: "None", firedCount: 0 });
    return { created };
  }

  deleteAlert(id: string): boolean {
    this.states.delete(id.toLowerCase());
    return this.alerts.delete(id.toLowerCase());
  }

  setCpu(vmKeys: string[], percent: number, now: number): void {
    for (const key of vmKeys) this.cpu.set(key, [...(this.cpu.get(key) ?? []), { at: now, percent }]);
  }

  cpuAt(vmKey: string, t: number): number {
    const series = this.cpu.get(vmKey);
    let level = DEFAULT_CPU;
    for (const point of series ?? []) if (point.at <= t) level = point.percent;
    return level;
  }

  cpuSeries(vmKey: string): Array<{ at: number; percent: number }> {
    return [...(this.cpu.get(vmKey) ?? [])];
  }

  /**
   * The metric over the window ending at `t`, one sample per simulated minute, aggregated as the rule says. No data
   * (the VM is not running) → undefined: Azure then neither fires nor resolves.
   */
  aggregate(vmKey: string, criterion: Criterion, windowMs: number, t: number): number | undefined {
    if (criterion.metricName.toLowerCase() !== "percentage cpu") return undefined;
    const samples: number[] = [];
    for (let at = t - windowMs + 60_000; at <= t; at += 60_000) samples.push(this.cpuAt(vmKey, at));
    if (samples.length === 0) samples.push(this.cpuAt(vmKey, t));
    switch (criterion.timeAggregation.toLowerCase()) {
      case "minimum": return Math.min(...samples);
      case "maximum": return Math.max(...samples);
      case "total": return samples.reduce((a, b) => a + b, 0);
      case "count": return samples.length;
      default: return samples.reduce((a, b) => a + b, 0) / samples.length;
    }
  }
}

export function meets(value: number, operator: string, threshold: number): boolean {
  switch (operator.toLowerCase()) {
    case "greaterthan": return value > threshold;
    case "greaterthanorequal": return value >= threshold;
    case "lessthan": return value < threshold;
    case "lessthanorequal": return value <= threshold;
    default: return value === threshold;
  }
}

/** The alert instance id of one firing, as Azure Monitor names alerts (a GUID under AlertsManagement). */
export function alertInstanceId(subscriptionId: string, ruleId: string, firedAt: number): string {
  const h = createHash("sha1").update(`${ruleId.toLowerCase()}|${firedAt}`).digest("hex");
  return `/subscriptions/${subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
