/**
 * Token buckets (docs/local-world.md "Throttling"), refilled continuously in
 * simulated time. Bucket names used in `limits` / `PUT /_sim/limits`:
 *
 *   armReads, armWrites                     key subscription + principal
 *   computeUpdateVm, computeDeleteVm,       key subscription + region
 *   computeLowCostGet, computeGetOperation
 *   computeHighCostGet                      key subscription
 *   vmUpdateVm, vmDeleteVm, vmLowCostGet,   key VM
 *   vmGetOperation
 *   scaleSetUpdate, scaleSetDelete,         key subscription + region (scale-set policies; a batched
 *   scaleSetLowCostGet, scaleSetHighCostGet,  start/deallocate/powerOff costs one token per instance)
 *   scaleSetVmGet
 *   perScaleSetDelete, perScaleSetLowCostGet, key scale set (resource level)
 *   perScaleSetVmGet                        key scale-set instance
 */

export interface BucketConfig {
  burst: number;
  refillPerSecond: number;
}

export const BUCKET_NAMES = [
  "armReads",
  "armWrites",
  "computeUpdateVm",
  "computeDeleteVm",
  "computeLowCostGet",
  "computeHighCostGet",
  "computeGetOperation",
  "vmUpdateVm",
  "vmDeleteVm",
  "vmLowCostGet",
  "vmGetOperation",
  "scaleSetUpdate",
  "scaleSetDelete",
  "scaleSetLowCostGet",
  "scaleSetHighCostGet",
  "scaleSetVmGet",
  "perScaleSetDelete",
  "perScaleSetLowCostGet",
  "perScaleSetVmGet",
] as const;
export type BucketName = (typeof BUCKET_NAMES)[number];

export interface LimitsConfig {
  enabled: boolean;
  buckets: Record<BucketName, BucketConfig>;
}

export interface LimitsInput {
  enabled?: boolean;
  buckets?: Partial<Record<BucketName, Partial<BucketConfig>>>;
}

const perMin = (burst: number, refillPerMinute: number): BucketConfig => ({ burst, refillPerSecond: refillPerMinute / 60 });

/** docs/azure-facts.md#arm-throttling, #compute-throttling and #scale-set-throttling. */
export function defaultLimits(): LimitsConfig {
  return {
    enabled: true,
    buckets: {
      armReads: { burst: 250, refillPerSecond: 25 },
      armWrites: { burst: 200, refillPerSecond: 10 },
      computeUpdateVm: perMin(1500, 500),
      computeDeleteVm: perMin(1500, 500),
      computeLowCostGet: perMin(24000, 8000),
      computeHighCostGet: perMin(900, 300),
      computeGetOperation: perMin(15000, 5000),
      vmUpdateVm: perMin(12, 4),
      vmDeleteVm: perMin(12, 4),
      vmLowCostGet: perMin(36, 12),
      vmGetOperation: perMin(45, 15),
      scaleSetUpdate: perMin(1500, 500),
      scaleSetDelete: perMin(525, 175),
      scaleSetLowCostGet: perMin(2400, 800),
      scaleSetHighCostGet: perMin(1080, 360),
      scaleSetVmGet: perMin(6000, 2000),
      perScaleSetDelete: perMin(12, 4),
      perScaleSetLowCostGet: perMin(36, 12),
      perScaleSetVmGet: perMin(36, 12),
    },
  };
}

/** Merges a partial configuration over `base`, validating names and numbers. */
export function mergeLimits(base: LimitsConfig, input: LimitsInput | false | undefined): LimitsConfig {
  if (input === false) return { ...base, enabled: false };
  const out: LimitsConfig = { enabled: base.enabled, buckets: { ...base.buckets } };
  if (!input) return out;
  if (input.enabled !== undefined) out.enabled = Boolean(input.enabled);
  for (const [name, cfg] of Object.entries(input.buckets ?? {})) {
    if (!(BUCKET_NAMES as readonly string[]).includes(name)) throw new Error(`unknown bucket '${name}' (known: ${BUCKET_NAMES.join(", ")})`);
    const merged = { ...out.buckets[name as BucketName], ...cfg };
    if (!(merged.burst >= 1) || !(merged.refillPerSecond > 0)) throw new Error(`bucket '${name}' needs burst >= 1 and refillPerSecond > 0`);
    out.buckets[name as BucketName] = merged;
  }
  return out;
}

interface Bucket {
  tokens: number;
  last: number;
  /** Requests seen in this bucket (reported as measuredRequestCount). */
  measured: number;
}

export interface BucketCheck {
  bucket: BucketName;
  key: string;
  /** Tokens this request takes (default 1): a batched scale-set call costs one per instance it names. */
  cost?: number;
}

export type CheckResult =
  | { ok: true; remaining: number[] }
  | { ok: false; throttledBy: BucketName; index: number; retryAfterMs: number; remaining: number[]; measured: number };

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();

  constructor(public config: LimitsConfig) {}

  configure(config: LimitsConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  clear(): void {
    this.buckets.clear();
  }

  /** All-or-nothing: consumes each check's cost from its bucket only if every bucket holds that many tokens. */
  take(checks: BucketCheck[], now: number): CheckResult {
    if (!this.config.enabled) {
      return { ok: true, remaining: checks.map((c) => this.config.buckets[c.bucket].burst) };
    }
    const state = checks.map((c) => this.refill(c, now));
    let worst = -1;
    let worstWait = 0;
    state.forEach((b, i) => {
      const cost = checks[i].cost ?? 1;
      b.measured += cost;
      if (b.tokens < cost) {
        // A cost above the bucket's capacity can never pass: the wait shown is until the bucket is full.
        const need = Math.min(cost, this.config.buckets[checks[i].bucket].burst);
        const wait = (Math.max(need - b.tokens, 1e-9) / this.config.buckets[checks[i].bucket].refillPerSecond) * 1000;
        if (worst < 0 || wait > worstWait) {
          worst = i;
          worstWait = wait;
        }
      }
    });
    if (worst >= 0) {
      return {
        ok: false,
        throttledBy: checks[worst].bucket,
        index: worst,
        retryAfterMs: worstWait,
        remaining: state.map((b) => Math.max(0, Math.floor(b.tokens))),
        measured: state[worst].measured,
      };
    }
    state.forEach((b, i) => (b.tokens -= checks[i].cost ?? 1));
    return { ok: true, remaining: state.map((b) => Math.floor(b.tokens)) };
  }

  private refill(check: BucketCheck, now: number): Bucket {
    const cfg = this.config.buckets[check.bucket];
    const id = `${check.bucket}|${check.key}`;
    let b = this.buckets.get(id);
    if (!b) {
      b = { tokens: cfg.burst, last: now, measured: 0 };
      this.buckets.set(id, b);
    } else if (now > b.last) {
      b.tokens = Math.min(cfg.burst, b.tokens + ((now - b.last) / 1000) * cfg.refillPerSecond);
      b.last = now;
    }
    return b;
  }
}
