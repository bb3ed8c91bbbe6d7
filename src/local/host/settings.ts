import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** host.json, loosely typed: only the parts the local host reads. */
export interface HostJson {
  extensions?: {
    queues?: Record<string, unknown>;
    http?: { routePrefix?: string };
  };
  logging?: { logLevel?: Record<string, unknown> };
  functionTimeout?: string;
}

function readJson(path: string): unknown {
  const text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${path}: ${(error as Error).message}`);
  }
}

export function loadHostJson(appDir: string): HostJson {
  const path = join(appDir, "host.json");
  if (!existsSync(path)) return {};
  return (readJson(path) ?? {}) as HostJson;
}

/**
 * Copies `Values` of local.settings.json into process.env, never overriding variables already set.
 * A missing file is fine. Returns the names that were applied.
 */
export function applyLocalSettings(appDir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const path = join(appDir, "local.settings.json");
  if (!existsSync(path)) return [];
  const parsed = readJson(path) as { Values?: Record<string, unknown> } | null;
  const applied: string[] = [];
  for (const [name, value] of Object.entries(parsed?.Values ?? {})) {
    if (env[name] !== undefined || value === undefined || value === null) continue;
    env[name] = String(value);
    applied.push(name);
  }
  return applied;
}

/** Parses a .NET TimeSpan string ("00:01:00", "1.02:03:04", "00:00:00.500") into milliseconds. */
export function parseTimeSpan(value: unknown, fallbackMs: number): number {
  if (value === undefined || value === null) return fallbackMs;
  if (typeof value === "number") return value;
  const m = /^\s*(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$/.exec(String(value));
  if (!m) throw new Error(`Invalid TimeSpan "${String(value)}" (expected hh:mm:ss)`);
  const [, days, hours, minutes, seconds, fraction] = m;
  const ms =
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds ?? 0) * 1000 +
    (fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0);
  return ms;
}

export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: "base64" | "none";
}

/** host.json `extensions.queues` with the Functions host defaults. */
export function queueOptions(hostJson: HostJson): QueueOptions {
  const q = hostJson.extensions?.queues ?? {};
  const num = (name: string, fallback: number, min: number, max: number): number => {
    const raw = q[name];
    if (raw === undefined || raw === null) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`host.json extensions.queues.${name} must be an integer in [${min}, ${max}], got ${String(raw)}`);
    }
    return n;
  };
  const batchSize = num("batchSize", 16, 1, 32);
  const encoding = String(q.messageEncoding ?? "base64").toLowerCase();
  if (encoding !== "base64" && encoding !== "none") {
    throw new Error(`host.json extensions.queues.messageEncoding must be "base64" or "none", got ${encoding}`);
  }
  const maxPollingIntervalMs = parseTimeSpan(q.maxPollingInterval, 60_000);
  return {
    batchSize,
    newBatchThreshold: num("newBatchThreshold", Math.floor(batchSize / 2), 0, 1000),
    maxDequeueCount: num("maxDequeueCount", 5, 1, 1000),
    visibilityTimeoutMs: parseTimeSpan(q.visibilityTimeout, 0),
    maxPollingIntervalMs: Math.max(100, maxPollingIntervalMs),
    messageEncoding: encoding,
  };
}

export function routePrefix(hostJson: HostJson): string {
  const prefix = hostJson.extensions?.http?.routePrefix;
  return (prefix === undefined ? "api" : prefix).replace(/^\/+|\/+$/g, "");
}

/** Resolves `%SettingName%` binding expressions against the environment, as the host does. */
export function resolveSettingExpression(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (_whole, name: string) => {
    const resolved = env[name];
    if (resolved === undefined) throw new Error(`The binding expression %${name}% refers to a setting that is not set`);
    return resolved;
  });
}

/** `AzureWebJobs.<name>.Disabled=true` (or `AzureWebJobs_<name>_Disabled`), as the real host honours. */
export function isFunctionDisabled(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env[`AzureWebJobs.${name}.Disabled`] ?? env[`AzureWebJobs_${name}_Disabled`];
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}
