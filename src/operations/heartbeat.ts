/**
 * The heartbeat: checks, each by name, what the app needs to do its job, so that a broken dependency is reported
 * instead of VMs silently staying up all night. Every check runs, concurrently and with a time limit; one failing
 * check never hides another. A failing check says what to do.
 */
import { isArmRequestError } from "../domain/armError";
import { parseResourceGroupId, parseSubscriptionId } from "../domain/resourceId";
import type { RequestStore } from "../engine/ports";
import { compareVersions } from "../domain/semver";

export type CheckName = "storage" | "scopeAccess" | "poisonQueues" | "overdueRequests" | "version";

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  message: string;
  /** What to do about a failing check. */
  fix?: string;
  checkedAt: string;
  /** Per-item detail (each scope, each poison queue). */
  details?: Record<string, string>;
}

export interface HeartbeatResult {
  ok: boolean;
  checkedAt: string;
  version: string;
  durationMs: number;
  checks: CheckResult[];
}

/** The storage the app's triggers and state live in: one cheap call per service. */
export interface StorageProbe {
  probeQueues(): Promise<void>;
  probeTables(): Promise<void>;
  /** Approximate number of messages in each poison queue (absent queue → 0). */
  poisonCounts(): Promise<Record<string, number>>;
}

/** One cheap read proving the identity may read the VMs of a scope (a subscription or a resource group). */
export interface ScopeProbe {
  canReadVms(scope: { subscriptionId: string; resourceGroup?: string }): Promise<void>;
}

export interface LatestRelease {
  version: string;
  url?: string;
}

export interface HeartbeatDeps {
  storage: StorageProbe;
  scopes: ScopeProbe;
  requests: Pick<RequestStore, "listOpenRequests">;
  now: () => Date;
  settings: {
    /** TARGET_SCOPES: the subscriptions and resource groups the deployment granted the role on. */
    targetScopes: string[];
    /** A request this long past its deadline and still open is reported (the watchdog ends runs within minutes). */
    overdueGraceMinutes: number;
    version: string;
    checkTimeoutMs: number;
  };
  /** The release feed's newest version (auto-update); absent when no feed is configured. */
  latestRelease?: () => Promise<LatestRelease | undefined>;
}

export async function runHeartbeat(deps: HeartbeatDeps): Promise<HeartbeatResult> {
  const started = deps.now();
  const checks = await Promise.all([
    timed(deps, "storage", () => checkStorage(deps)),
    timed(deps, "scopeAccess", () => checkScopes(deps)),
    timed(deps, "poisonQueues", () => checkPoisonQueues(deps)),
    timed(deps, "overdueRequests", () => checkOverdue(deps)),
    timed(deps, "version", () => checkVersion(deps)),
  ]);
  return {
    ok: checks.every((c) => c.ok),
    checkedAt: started.toISOString(),
    version: deps.settings.version,
    durationMs: deps.now().getTime() - started.getTime(),
    checks,
  };
}

type Outcome = Omit<CheckResult, "name" | "checkedAt">;

async function timed(deps: HeartbeatDeps, name: CheckName, check: () => Promise<Outcome>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `the check did not answer within ${deps.settings.checkTimeoutMs} ms`, fix: "see the dependency's health (storage, Azure Resource Manager)" }), deps.settings.checkTimeoutMs);
  });
  try {
    const outcome = await Promise.race([check().catch((error: unknown): Outcome => ({ ok: false, message: describe(error), fix: FIX[name] })), timeout]);
    return { name, checkedAt: deps.now().toISOString(), ...outcome };
  } finally {
    clearTimeout(timer);
  }
}

const FIX: Record<CheckName, string> = {
  storage: "check the storage account (AzureWebJobsStorage__*): is it reachable, and does the identity still hold Storage Queue Data Contributor and Storage Table Data Contributor?",
  scopeAccess: "assign the operator role again on the scope (azd up does it; or az role assignment create --assignee <identity> --role \"Start/Stop VMs operator (<env>)\" --scope <scope>)",
  poisonQueues: "read the messages (az storage message peek --queue-name <queue>), fix the cause, then delete them; the watchdog re-seeds stalled runs by itself",
  overdueRequests: "open the request's status URL; the RequestWatchdog timer ends runs at their deadline, so a request still open means the watchdog is not running",
  version: "",
};

async function checkStorage(deps: HeartbeatDeps): Promise<Outcome> {
  const [queues, tables] = await Promise.allSettled([deps.storage.probeQueues(), deps.storage.probeTables()]);
  const broken = [queues.status === "rejected" ? `queues: ${describe(queues.reason)}` : "", tables.status === "rejected" ? `tables: ${describe(tables.reason)}` : ""].filter(Boolean);
  return broken.length === 0 ? { ok: true, message: "queues and tables answer" } : { ok: false, message: broken.join("; "), fix: FIX.storage };
}

async function checkScopes(deps: HeartbeatDeps): Promise<Outcome> {
  if (deps.settings.targetScopes.length === 0) return { ok: true, message: "no TARGET_SCOPES configured: nothing to check" };
  const details: Record<string, string> = {};
  const failing: string[] = [];
  await Promise.all(deps.settings.targetScopes.map(async (scope) => {
    const rg = parseResourceGroupId(scope);
    const sub = rg ? undefined : parseSubscriptionId(scope);
    if (!rg && !sub) {
      details[scope] = "not a subscription or resource-group id";
      failing.push(scope);
      return;
    }
    try {
      await deps.scopes.canReadVms(rg ? { subscriptionId: rg.subscriptionId, resourceGroup: rg.resourceGroup } : { subscriptionId: sub! });
      details[scope] = "ok";
    } catch (error) {
      details[scope] = describe(error);
      failing.push(scope);
    }
  }));
  if (failing.length === 0) return { ok: true, message: `the identity can read VMs in all ${deps.settings.targetScopes.length} scope(s)`, details };
  return {
    ok: false, details, fix: FIX.scopeAccess,
    message: `the identity cannot read VMs in ${failing.length} of ${deps.settings.targetScopes.length} scope(s): ${failing.map((s) => `${s} (${details[s]})`).join("; ")}`,
  };
}

async function checkPoisonQueues(deps: HeartbeatDeps): Promise<Outcome> {
  const counts = await deps.storage.poisonCounts();
  const details = Object.fromEntries(Object.entries(counts).map(([q, n]) => [q, String(n)]));
  const full = Object.entries(counts).filter(([, n]) => n > 0);
  if (full.length === 0) return { ok: true, message: "no message in a poison queue", details };
  return {
    ok: false, details, fix: FIX.poisonQueues,
    message: `${full.map(([q, n]) => `${n} message(s) in ${q}`).join(", ")}: work that failed five times and was not done`,
  };
}

async function checkOverdue(deps: HeartbeatDeps): Promise<Outcome> {
  const now = deps.now().getTime();
  const open = await deps.requests.listOpenRequests();
  const overdue = open.filter((r) => now - r.deadline.getTime() > deps.settings.overdueGraceMinutes * 60_000);
  if (overdue.length === 0) return { ok: true, message: `${open.length} request(s) running, none past its deadline` };
  return {
    ok: false, fix: FIX.overdueRequests,
    message: `${overdue.length} request(s) past their deadline and not finished: ${overdue.slice(0, 5).map((r) => `${r.requestId} (deadline ${r.deadline.toISOString()})`).join(", ")}`,
  };
}

async function checkVersion(deps: HeartbeatDeps): Promise<Outcome> {
  const running = deps.settings.version;
  if (!deps.latestRelease) return { ok: true, message: `running ${running}; no release feed configured` };
  try {
    const latest = await deps.latestRelease();
    if (!latest || compareVersions(latest.version, running) <= 0) return { ok: true, message: `running ${running}, the newest release` };
    return { ok: true, message: `running ${running}; ${latest.version} is available${latest.url ? ` (${latest.url})` : ""}` };
  } catch (error) {
    // The feed being unreachable does not stop the app from doing its job: reported, not failed.
    return { ok: true, message: `running ${running}; the release feed could not be read: ${describe(error)}` };
  }
}

function describe(error: unknown): string {
  if (isArmRequestError(error)) return `${error.failure.code}${error.failure.status ? ` (${error.failure.status})` : ""}: ${error.failure.message.slice(0, 300)}`;
  const e = error as { statusCode?: number; code?: string; message?: string };
  return `${e.code ?? (e.statusCode ? `HTTP ${e.statusCode}` : "error")}: ${(e.message ?? String(error)).slice(0, 300)}`;
}
