/** Fault rules (docs/local-world.md "Fault rule"): matching, probability, count and window. */

export type FaultOperation =
  | "list" | "get" | "instanceView" | "start" | "deallocate" | "hibernate" | "powerOff" | "restart" | "simulateEviction" | "operationStatus"
  | "activityLog" | "availabilityStatus"
  | "metricAlertPut" | "metricAlertGet" | "metricAlertDelete" | "metricAlertList" | "actionGroupPut" | "actionGroupGet"
  | "oneDeployPut" | "oneDeployGet"
  | "scaleSetList" | "scaleSetGet" | "scaleSetStart" | "scaleSetDeallocate" | "scaleSetHibernate" | "scaleSetPowerOff"
  | "scaleSetInstanceList" | "scaleSetInstanceGet" | "scaleSetInstanceView"
  | "autoscaleList" | "autoscaleGet" | "autoscalePut" | "autoscalePatch" | "autoscaleDelete";

export interface FaultRuleInput {
  match?: {
    operation?: FaultOperation;
    osType?: string;
    vmIds?: string[];
    namePattern?: string;
    subscriptionId?: string;
    region?: string;
  };
  effect:
    | { type: "http"; status?: number; code?: string; message?: string; retryAfterSeconds?: number }
    | { type: "operationFails"; code?: string; message?: string };
  probability?: number;
  firstAttemptOnly?: boolean;
  count?: number;
  window?: { startsAfterSeconds?: number; durationSeconds?: number };
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  createdAt: number;
  fired: number;
}

/** What the request looks like to the rules; VM fields are absent for lists. */
export interface FaultContext {
  operation: FaultOperation;
  subscriptionId: string;
  region?: string;
  vmId?: string;
  name?: string;
  osType?: string;
  /** True when this is the first request of this operation on this VM. */
  firstAttempt: boolean;
  /** Only `operationFails` rules apply (one instance of a batched scale-set call: the request itself was already matched). */
  operationFailsOnly?: boolean;
}

const POWER_ACTIONS = new Set([
  "start", "deallocate", "hibernate", "powerOff", "restart", "simulateEviction",
  "scaleSetStart", "scaleSetDeallocate", "scaleSetHibernate", "scaleSetPowerOff",
]);

export class FaultBook {
  private rules: Array<FaultRule & { vmIdSet?: Set<string>; nameRegex?: RegExp }> = [];
  private nextId = 1;

  add(input: FaultRuleInput, now: number): FaultRule {
    const effect = input?.effect;
    if (!effect || (effect.type !== "http" && effect.type !== "operationFails")) {
      throw new Error("effect.type must be 'http' or 'operationFails'");
    }
    if (effect.type === "http" && effect.status !== undefined && !(effect.status >= 400 && effect.status <= 599)) {
      throw new Error("effect.status must be 4xx or 5xx");
    }
    const p = input.probability ?? 1;
    if (!(p >= 0 && p <= 1)) throw new Error("probability must be between 0 and 1");
    const rule = {
      ...input,
      id: `fault-${this.nextId++}`,
      createdAt: now,
      fired: 0,
      vmIdSet: input.match?.vmIds ? new Set(input.match.vmIds.map((v) => v.toLowerCase())) : undefined,
      nameRegex: input.match?.namePattern ? wildcard(input.match.namePattern) : undefined,
    };
    this.rules.push(rule);
    return publicRule(rule);
  }

  list(): FaultRule[] {
    return this.rules.map(publicRule);
  }

  remove(id?: string): boolean {
    if (id === undefined) {
      this.rules = [];
      return true;
    }
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  /** First rule (in insertion order) that matches and whose probability draw succeeds; counts the firing. */
  pick(ctx: FaultContext, now: number, random: () => number): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.firstAttemptOnly && !ctx.firstAttempt) continue;
      if (rule.effect.type === "operationFails" && !POWER_ACTIONS.has(ctx.operation)) continue;
      if (ctx.operationFailsOnly && rule.effect.type !== "operationFails") continue;
      if (rule.window) {
        const start = rule.createdAt + (rule.window.startsAfterSeconds ?? 0) * 1000;
        if (now < start) continue;
        if (rule.window.durationSeconds !== undefined && now >= start + rule.window.durationSeconds * 1000) continue;
      }
      const m = rule.match ?? {};
      if (m.operation && m.operation !== ctx.operation) continue;
      if (m.subscriptionId && m.subscriptionId.toLowerCase() !== ctx.subscriptionId.toLowerCase()) continue;
      if (m.region && m.region.toLowerCase() !== ctx.region?.toLowerCase()) continue;
      if (m.osType && m.osType.toLowerCase() !== ctx.osType?.toLowerCase()) continue;
      if (rule.vmIdSet && !(ctx.vmId && rule.vmIdSet.has(ctx.vmId.toLowerCase()))) continue;
      if (rule.nameRegex && !(ctx.name && rule.nameRegex.test(ctx.name))) continue;
      // Draw only for otherwise-matching requests so unrelated traffic doesn't shift the sequence.
      if ((rule.probability ?? 1) < 1 && random() >= (rule.probability ?? 1)) continue;
      rule.fired++;
      return publicRule(rule);
    }
    return undefined;
  }
}

/** "web-*" → a case-insensitive regular expression matching whole names. */
export function wildcard(pattern: string): RegExp {
  const body = pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "i");
}

function publicRule(rule: FaultRule & { vmIdSet?: unknown; nameRegex?: unknown }): FaultRule {
  const { vmIdSet: _s, nameRegex: _r, ...rest } = rule;
  return rest;
}
