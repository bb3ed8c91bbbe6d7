/**
 * Every app setting, read and validated once. A bad setting stops the app at start-up with a message that
 * names it and says what is expected, instead of failing later in the middle of a run.
 */
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./domain/retryPolicy";
import { DOCUMENTED_BUDGET, type PacingBudget } from "./domain/pacing";
import { DEFAULT_BREAKER, type BreakerSettings } from "./domain/circuitBreaker";
import type { KeyObject } from "node:crypto";
import { parseSigningKey } from "./autoUpdate/signature";

export type StorageConnection =
  | { kind: "connectionString"; connectionString: string }
  | { kind: "identity"; queueServiceUri: string; tableServiceUri: string; clientId?: string };

export interface AppConfig {
  storage: StorageConnection;
  /** Azure Resource Manager endpoint; a loopback https URL means the local ARM simulator. */
  armEndpoint: string;
  /** True for the local simulator: a fixed fake token is used, and only ever sent to loopback. */
  armIsLocalSimulator: boolean;
  /** PEM of the simulator's certificate (local only). */
  armCaCertPath?: string;
  deadlineMinutes: number;
  verifyIntervalSeconds: number;
  stallGraceSeconds: number;
  singleReadThreshold: number;
  maxRequestBodyBytes: number;
  maxScopeEntries: number;
  verifyListVmsPerSecond: number;
  retry: RetryPolicy;
  /** Azure's budgets the executor paces itself to (documented defaults; change only if Microsoft does). */
  pacing: PacingBudget;
  /** Seconds a shared-budget grant stays good: its calls must leave within it (see src/budget/budgetLedger.ts). */
  budgetCallWindowSeconds: number;
  breaker: BreakerSettings;
  /** NCRONTAB (six fields) of the watchdog that re-seeds stalled runs and ends them by their deadline. */
  watchdogSchedule: string;
  /**
   * Local world only: the simulator's compressed time. The app then reasons in simulated time (clock,
   * rates, deadlines) and divides every queue delay by the scale.
   */
  localTime?: { scale: number; simAnchorMs: number; realAnchorMs: number };
  /** Platform events: how POST /api/events checks a VM agent's managed-identity token (off without an audience). */
  platformEvents?: { audience: string; issuer: string; jwksUrl: string };
  /**
   * Machine callers (src/trust/): Entra ID tokens for CALLER_TOKEN_AUDIENCE from the tenant's issuer, allowed by object
   * ID per role (the Logic Apps' identity as operator, Azure Monitor's secure webhook for AutoStopVM). Off without an audience.
   */
  callers?: { issuers: string[]; audience: string; jwksUrl: string; allowed: { operator: string[]; alerts: string[] } };
  /** Application Insights, when the deployment set it: telemetry goes there through the OpenTelemetry distro. */
  applicationInsights?: { connectionString: string; useEntraId: boolean; clientId?: string };
  /** Operations: the heartbeat's schedule, the scopes it checks, and the optional failure-notice webhook (a secret). */
  operations: { heartbeatSchedule: string; targetScopes: string[]; overdueGraceMinutes: number; notifyWebhookUrl?: string; appBaseUrl?: string };
  /** Self-update: what to do with a newer release (off, notify, apply), where releases are listed, and this app. */
  autoUpdate: {
    mode: "off" | "notify" | "apply"; schedule: string; feedUrl?: string; verifyMinutes: number; appResourceId?: string;
    /** AUTO_UPDATE_SIGNING_KEY: the Ed25519 public key (base64 raw, SPKI DER or PEM) every package must be signed with. */
    signingKey?: KeyObject;
    /** DEPLOYMENT_STORAGE_CONTAINER_URL: the app's deployment container, where verified packages are staged. */
    deploymentContainerUrl?: string;
  };
  /** The eviction watcher: its schedule, whether evicted VMs are restarted without the body asking, for how long. */
  evictions: { schedule: string; restartEvicted: boolean; restartDeadlineMinutes: number };
  /** AutoStop: the action group its alerts notify, the managed-by tag, the re-sync timer and a run's deadline. */
  autoStop: { actionGroupId?: string; managedBy: string; syncSchedule: string; runDeadlineMinutes: number };
  /** Schedules applied by tag: the ScheduleEvaluator's timer, the tag names, catch-up after downtime, how often the VM inventory is re-read. */
  schedules: { evaluatorSchedule: string; intervalMinutes: number; tagName: string; overrideTagName: string; catchUpMinutes: number; inventoryMinutes: number; postponeLinkKey?: string };
  /** Savings (src/savings/): the Retail Prices API, the default currency, sizes covered by reservations, the schedule tag. */
  savings: { pricesUrl: string; currency: string; reservedSizes: string[]; scheduleTag: string; lookbackDays: number };
  /** The dashboard: how it signs people in (DASHBOARD_AUTH / LOCAL_FUNCTION_KEY) and the Logic Apps' recurrences it lists. */
  dashboard: { auth: "appService" | "key" | "off"; localKey?: string; logicAppSchedules?: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid app settings:\n- ${problems.join("\n- ")}`);
    this.name = "ConfigError";
  }
}

export type Env = Record<string, string | undefined>;

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === "") return fallback;
    if (raw === "true" || raw === "false") return raw === "true";
    problems.push(`${name} must be true or false (got "${env[name]}")`);
    return fallback;
  };

  const tagName = (name: string, fallback: string): string => {
    const v = env[name]?.trim() || fallback;
    if (v.length > 512 || /[<>%&\\?/]/.test(v)) problems.push(`${name} must be a tag name of at most 512 characters without < > % & \\ ? / (got "${v.slice(0, 60)}")`);
    return v;
  };
  const ncrontab = (name: string, fallback: string): string => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    if (raw.split(/\s+/).length !== 6) {
      problems.push(`${name} must be a six-field NCRONTAB expression such as "${fallback}" (got "${raw}")`);
      return fallback;
    }
    return raw;
  };
  const storage = readStorage(env, problems);
  const armEndpoint = (env.ARM_ENDPOINT?.trim() || "https://management.azure.com").replace(/\/+$/, "");
  let armIsLocalSimulator = false;
  try {
    const url = new URL(armEndpoint);
    if (url.protocol !== "https:") problems.push(`ARM_ENDPOINT must be an https URL (got "${armEndpoint}"); Azure SDKs refuse to send tokens over http`);
    armIsLocalSimulator = isLoopbackHost(url.hostname);
  } catch {
    problems.push(`ARM_ENDPOINT must be a URL such as https://management.azure.com (got "${armEndpoint}")`);
  }
  const armCaCertPath = env.ARM_CA_CERT_PATH?.trim() || undefined;
  if (armCaCertPath && !armIsLocalSimulator) {
    problems.push("ARM_CA_CERT_PATH is only for the local ARM simulator; remove it when ARM_ENDPOINT is a real Azure endpoint");
  }

  const localTime = readLocalTime(env, armIsLocalSimulator, problems);
  const config: AppConfig = {
    storage,
    armEndpoint,
    armIsLocalSimulator,
    armCaCertPath,
    deadlineMinutes: int("REQUEST_DEADLINE_MINUTES", 120, 5, 1440),
    verifyIntervalSeconds: int("VERIFY_INTERVAL_SECONDS", 15, 1, 300),
    stallGraceSeconds: int("STALL_GRACE_SECONDS", 300, 5, 3600),
    singleReadThreshold: int("SINGLE_READ_THRESHOLD", 10, 0, 1000),
    maxRequestBodyBytes: int("MAX_REQUEST_BODY_BYTES", 262_144, 1024, 4_194_304),
    maxScopeEntries: int("MAX_SCOPE_ENTRIES", 1000, 1, 10_000),
    verifyListVmsPerSecond: int("VERIFY_LIST_VMS_PER_SECOND", 200, 1, 100_000),
    pacing: {
      compute: {
        burst: int("COMPUTE_POWER_BURST", DOCUMENTED_BUDGET.compute.burst, 1, 100_000),
        refillPerSecond: int("COMPUTE_POWER_PER_MINUTE", DOCUMENTED_BUDGET.compute.refillPerSecond * 60, 1, 1_000_000) / 60,
      },
      armWrites: {
        burst: int("ARM_WRITES_BURST", DOCUMENTED_BUDGET.armWrites.burst, 1, 100_000),
        refillPerSecond: int("ARM_WRITES_PER_SECOND", DOCUMENTED_BUDGET.armWrites.refillPerSecond, 1, 100_000),
      },
      share: int("PACING_SHARE_PERCENT", DOCUMENTED_BUDGET.share * 100, 10, 100) / 100,
    },
    budgetCallWindowSeconds: int("BUDGET_CALL_WINDOW_SECONDS", 10, 1, 60),
    breaker: {
      failureThreshold: int("BREAKER_FAILURE_THRESHOLD", DEFAULT_BREAKER.failureThreshold, 1, 100_000),
      openSeconds: int("BREAKER_OPEN_SECONDS", DEFAULT_BREAKER.openSeconds, 1, 86_400),
      maxOpenSeconds: int("BREAKER_MAX_OPEN_SECONDS", DEFAULT_BREAKER.maxOpenSeconds, 1, 86_400),
      probeTimeoutSeconds: DEFAULT_BREAKER.probeTimeoutSeconds,
      probeWaitSeconds: DEFAULT_BREAKER.probeWaitSeconds,
    },
    retry: {
      transient: {
        baseSeconds: int("RETRY_BASE_SECONDS", DEFAULT_RETRY_POLICY.transient.baseSeconds, 1, 3600),
        maxSeconds: int("RETRY_MAX_SECONDS", DEFAULT_RETRY_POLICY.transient.maxSeconds, 1, 3600),
      },
      capacity: {
        baseSeconds: int("CAPACITY_RETRY_BASE_SECONDS", DEFAULT_RETRY_POLICY.capacity.baseSeconds, 1, 3600),
        maxSeconds: int("CAPACITY_RETRY_MAX_SECONDS", DEFAULT_RETRY_POLICY.capacity.maxSeconds, 1, 7200),
      },
      throttledDefaultSeconds: DEFAULT_RETRY_POLICY.throttledDefaultSeconds,
    },
    watchdogSchedule: ncrontab("WATCHDOG_SCHEDULE", "0 */2 * * * *"),
    localTime,
    platformEvents: readPlatformEvents(env, problems),
    callers: readCallers(env, problems),
    applicationInsights: readApplicationInsights(env),
    operations: {
      heartbeatSchedule: ncrontab("HEARTBEAT_SCHEDULE", "0 */5 * * * *"),
      targetScopes: (env.TARGET_SCOPES ?? "").split(",").map((x) => x.trim()).filter(Boolean),
      overdueGraceMinutes: int("OVERDUE_GRACE_MINUTES", 30, 0, 1440),
      notifyWebhookUrl: readWebhookUrl(env, problems),
      appBaseUrl: readAppBaseUrl(env, problems),
    },
    autoUpdate: readAutoUpdate(env, problems, ncrontab("AUTO_UPDATE_SCHEDULE", "0 0 3 * * *"), int("AUTO_UPDATE_VERIFY_MINUTES", 15, 1, 1440)),
    evictions: {
      schedule: ncrontab("EVICTION_WATCH_SCHEDULE", "0 */5 * * * *"),
      restartEvicted: bool("RESTART_EVICTED", false),
      restartDeadlineMinutes: int("EVICTION_RESTART_DEADLINE_MINUTES", 720, 5, 1440),
    },
    autoStop: {
      actionGroupId: readActionGroupId(env, problems),
      managedBy: readManagedBy(env, problems),
      syncSchedule: ncrontab("AUTOSTOP_SYNC_SCHEDULE", "0 20 * * * *"),
      runDeadlineMinutes: int("AUTOSTOP_RUN_DEADLINE_MINUTES", 60, 5, 1440),
    },
    schedules: {
      evaluatorSchedule: ncrontab("SCHEDULE_EVALUATOR_SCHEDULE", "0 * * * * *"),
      intervalMinutes: int("SCHEDULE_EVALUATOR_INTERVAL_MINUTES", 1, 1, 60),
      tagName: tagName("SCHEDULE_TAG_NAME", "startstop-schedule"),
      overrideTagName: tagName("SCHEDULE_OVERRIDE_TAG_NAME", "startstop-override"),
      catchUpMinutes: int("SCHEDULE_CATCH_UP_MINUTES", 60, 0, 1440),
      inventoryMinutes: int("SCHEDULE_INVENTORY_MINUTES", 5, 1, 60),
      postponeLinkKey: readPostponeLinkKey(env, problems),
    },
    savings: readSavings(env, problems, int("SAVINGS_LOOKBACK_DAYS", 35, 1, 400)),
    dashboard: readDashboard(env, problems),
  };
  problems.push(...callWindowProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * DASHBOARD_AUTH=appService: App Service authentication (Entra ID) signs users in before requests reach the app (the
 * Bicep sets it with the auth settings). Otherwise the local host's LOCAL_FUNCTION_KEY signs in locally; without
 * either the dashboard is off. LOGIC_APP_SCHEDULES: the Logic Apps' recurrences (JSON, written by the Bicep).
 */
function readDashboard(env: Env, problems: string[]): AppConfig["dashboard"] {
  const mode = env.DASHBOARD_AUTH?.trim().toLowerCase();
  if (mode && mode !== "appservice" && mode !== "off") problems.push(`DASHBOARD_AUTH must be appService or off (got "${env.DASHBOARD_AUTH}")`);
  const localKey = env.LOCAL_FUNCTION_KEY?.trim() || undefined;
  // App Service sets WEBSITE_AUTH_ENABLED when its authentication is on (the Bicep's dashboard-auth module turns it on).
  const platformAuth = env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === "true";
  const auth = mode === "off" ? "off" : mode === "appservice" || platformAuth ? "appService" : localKey ? "key" : "off";
  return { auth, ...(auth === "key" ? { localKey } : {}), logicAppSchedules: env.LOGIC_APP_SCHEDULES };
}

/**
 * RETAIL_PRICES_URL (default Azure's), SAVINGS_CURRENCY (ISO 4217, default USD), SAVINGS_RESERVED_SIZES (comma-separated
 * `Standard_D2s_v5` or `westeurope/Standard_D2s_v5`: sizes a reservation or savings plan covers), SAVINGS_SCHEDULE_TAG.
 */
function readSavings(env: Env, problems: string[], lookbackDays: number): AppConfig["savings"] {
  const pricesUrl = env.RETAIL_PRICES_URL?.trim() || "https://prices.azure.com/api/retail/prices";
  try {
    const url = new URL(pricesUrl);
    if (url.protocol !== "https:" && !isLoopbackHost(url.hostname)) problems.push(`RETAIL_PRICES_URL must be an https URL (got "${pricesUrl}")`);
  } catch {
    problems.push(`RETAIL_PRICES_URL must be a URL such as https://prices.azure.com/api/retail/prices (got "${pricesUrl}")`);
  }
  const currency = env.SAVINGS_CURRENCY?.trim() || "USD";
  if (!/^[A-Z]{3}$/.test(currency)) problems.push(`SAVINGS_CURRENCY must be an ISO 4217 code in capitals such as EUR (got "${currency}")`);
  const reservedSizes = (env.SAVINGS_RESERVED_SIZES ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  for (const entry of reservedSizes) {
    if (!/^([a-z0-9]+\/)?[A-Za-z0-9_]+$/.test(entry)) problems.push(`SAVINGS_RESERVED_SIZES entries must be a size such as Standard_D2s_v5 or region/size such as westeurope/Standard_D2s_v5 (got "${entry}")`);
  }
  return { pricesUrl, currency, reservedSizes: reservedSizes.map((x) => x.toLowerCase()), scheduleTag: env.SAVINGS_SCHEDULE_TAG?.trim() || "startstop-schedule", lookbackDays };
}

/**
 * The ledger counts a grant's tokens in flight for the whole call window, so it can never hand out more than a burst
 * per window: a window as long as a bucket takes to fill would cap the pace below the bucket's refill.
 */
function callWindowProblems(c: AppConfig): string[] {
  const fillSeconds = Math.min(c.pacing.compute.burst / c.pacing.compute.refillPerSecond, c.pacing.armWrites.burst / c.pacing.armWrites.refillPerSecond);
  return c.budgetCallWindowSeconds < fillSeconds ? [] : [
    `BUDGET_CALL_WINDOW_SECONDS must be shorter than the ${fillSeconds.toFixed(1)} s a budget bucket takes to fill (got ${c.budgetCallWindowSeconds}); otherwise the shared budget could not spend the whole refill`,
  ];
}

/** LOCAL_TIME_SCALE and LOCAL_TIME_ANCHOR (the local world only): the app clock then follows the simulator's. */
export function readLocalTime(env: Env, simulator: boolean, problems: string[]): AppConfig["localTime"] {
  const scaleText = env.LOCAL_TIME_SCALE?.trim();
  if (!scaleText || scaleText === "1") return undefined;
  const scale = Number(scaleText);
  if (!simulator) {
    problems.push("LOCAL_TIME_SCALE is only for the local ARM simulator; remove it when ARM_ENDPOINT is a real Azure endpoint");
    return undefined;
  }
  const anchor = /^(\d+)@(\d+)$/.exec(env.LOCAL_TIME_ANCHOR?.trim() ?? "");
  if (!Number.isFinite(scale) || scale < 1 || scale > 1000 || !anchor) {
    problems.push('LOCAL_TIME_SCALE must be a number from 1 to 1000, with LOCAL_TIME_ANCHOR="<simulated epoch ms>@<real epoch ms>" (both set by the local world)');
    return undefined;
  }
  return { scale, simAnchorMs: Number(anchor[1]), realAnchorMs: Number(anchor[2]) };
}

/**
 * POST /api/events accepts reports only with a VM's managed-identity token for EVENTS_TOKEN_AUDIENCE, issued by the
 * tenant's Entra ID (keys from its JWKS). The tenant comes from AZURE_TENANT_ID unless issuer and keys are given.
 */
function readPlatformEvents(env: Env, problems: string[]): AppConfig["platformEvents"] {
  const audience = env.EVENTS_TOKEN_AUDIENCE?.trim();
  if (!audience) return undefined;
  const tenant = env.AZURE_TENANT_ID?.trim();
  const issuer = env.EVENTS_TOKEN_ISSUER?.trim() || (tenant ? `https://sts.windows.net/${tenant}/` : "");
  const jwksUrl = env.EVENTS_JWKS_URL?.trim() || (tenant ? `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys` : "");
  if (!issuer || !jwksUrl) {
    problems.push("EVENTS_TOKEN_AUDIENCE is set, so the app needs AZURE_TENANT_ID (or EVENTS_TOKEN_ISSUER and EVENTS_JWKS_URL) to check the VM agents' tokens");
    return undefined;
  }
  checkJwksUrl("EVENTS_JWKS_URL", jwksUrl, problems);
  return { audience, issuer, jwksUrl };
}

/** A token issuer's signing keys must come over https (loopback aside: the local world's issuer). */
function checkJwksUrl(name: string, jwksUrl: string, problems: string[]): void {
  try {
    const url = new URL(jwksUrl);
    if (url.protocol !== "https:" && !isLoopbackHost(url.hostname)) problems.push(`${name} must be an https URL (got "${jwksUrl}")`);
  } catch {
    problems.push(`${name} must be a URL (got "${jwksUrl}")`);
  }
}

/**
 * CALLER_TOKEN_AUDIENCE (the app's Entra application ID URI or client ID) turns on token callers. Issuer and keys
 * default to the tenant's Entra ID (both its v1 and v2 issuers); OPERATOR_CALLER_OBJECT_IDS and
 * AUTOSTOP_CALLER_OBJECT_IDS list, comma-separated, the object IDs allowed per role.
 */
function readCallers(env: Env, problems: string[]): AppConfig["callers"] {
  const audience = env.CALLER_TOKEN_AUDIENCE?.trim();
  if (!audience) return undefined;
  const tenant = env.AZURE_TENANT_ID?.trim();
  const given = (env.CALLER_TOKEN_ISSUER ?? "").split(",").map((x) => x.trim()).filter(Boolean);
  const issuers = given.length > 0 ? given : tenant ? [`https://sts.windows.net/${tenant}/`, `https://login.microsoftonline.com/${tenant}/v2.0`] : [];
  const jwksUrl = env.CALLER_JWKS_URL?.trim() || (tenant ? `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys` : "");
  if (issuers.length === 0 || !jwksUrl) {
    problems.push("CALLER_TOKEN_AUDIENCE is set, so the app needs AZURE_TENANT_ID (or CALLER_TOKEN_ISSUER and CALLER_JWKS_URL) to check callers' tokens");
    return undefined;
  }
  checkJwksUrl("CALLER_JWKS_URL", jwksUrl, problems);
  const ids = (name: string): string[] => {
    const list = (env[name] ?? "").split(",").map((x) => x.trim().toLowerCase()).filter(Boolean);
    const bad = list.filter((x) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(x));
    if (bad.length > 0) problems.push(`${name} must be comma-separated object IDs (GUIDs); not one: "${bad[0]}"`);
    return list.filter((x) => !bad.includes(x));
  };
  return { issuers, audience, jwksUrl, allowed: { operator: ids("OPERATOR_CALLER_OBJECT_IDS"), alerts: ids("AUTOSTOP_CALLER_OBJECT_IDS") } };
}

/**
 * AUTO_UPDATE_MODE: "notify" (default: a newer release is reported, nothing changes), "apply" (deploy it, verified,
 * rolled back if its heartbeat fails; needs APP_RESOURCE_ID and the role on the app) or "off".
 */
function readAutoUpdate(env: Env, problems: string[], schedule: string, verifyMinutes: number): AppConfig["autoUpdate"] {
  const mode = (env.AUTO_UPDATE_MODE?.trim().toLowerCase() || "notify") as AppConfig["autoUpdate"]["mode"];
  if (!["off", "notify", "apply"].includes(mode)) problems.push(`AUTO_UPDATE_MODE must be off, notify or apply (got "${env.AUTO_UPDATE_MODE}")`);
  const feedUrl = env.RELEASE_FEED_URL?.trim() || undefined;
  if (feedUrl) {
    try {
      const url = new URL(feedUrl);
      if (url.protocol !== "https:" && !isLoopbackHost(url.hostname)) problems.push(`RELEASE_FEED_URL must be an https URL (got "${feedUrl}")`);
    } catch {
      problems.push(`RELEASE_FEED_URL must be a URL (got "${feedUrl}")`);
    }
  }
  const appResourceId = env.APP_RESOURCE_ID?.trim() || undefined;
  if (mode === "apply" && (!feedUrl || !appResourceId || !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+$/i.test(appResourceId))) {
    problems.push("AUTO_UPDATE_MODE=apply needs RELEASE_FEED_URL and APP_RESOURCE_ID (the function app's resource id, set by Bicep)");
  }
  let signingKey: KeyObject | undefined;
  const keyText = env.AUTO_UPDATE_SIGNING_KEY?.trim();
  if (keyText) {
    try {
      signingKey = parseSigningKey(keyText);
    } catch (error) {
      problems.push(`AUTO_UPDATE_SIGNING_KEY must be an Ed25519 public key (base64 of its 32 bytes, or PEM): ${(error as Error).message}`);
    }
  }
  const deploymentContainerUrl = env.DEPLOYMENT_STORAGE_CONTAINER_URL?.trim() || undefined;
  if (deploymentContainerUrl && !/^https?:\/\/[^/]+\/.+/.test(deploymentContainerUrl)) problems.push(`DEPLOYMENT_STORAGE_CONTAINER_URL must be a blob container URL (got "${deploymentContainerUrl}")`);
  if (mode === "apply" && (!keyText || !deploymentContainerUrl)) {
    problems.push("AUTO_UPDATE_MODE=apply needs AUTO_UPDATE_SIGNING_KEY (the release signing public key) and DEPLOYMENT_STORAGE_CONTAINER_URL (set by Bicep)");
  }
  return { mode, schedule, feedUrl, verifyMinutes, appResourceId, signingKey, deploymentContainerUrl };
}

/** APPLICATIONINSIGHTS_AUTHENTICATION_STRING "ClientId=<id>;Authorization=AAD" means: send with that managed identity. */
function readApplicationInsights(env: Env): AppConfig["applicationInsights"] {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return undefined;
  const auth = Object.fromEntries((env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? "").split(";").map((p) => p.split("=").map((x) => x.trim())).filter((p) => p.length === 2)) as Record<string, string>;
  return { connectionString, useEntraId: (auth.Authorization ?? "").toUpperCase() === "AAD", clientId: auth.ClientId || undefined };
}

/** A Teams or Slack incoming-webhook URL: https (or loopback http, for the local world). Its path is a secret. */
/** The secret postpone links are signed with (a secret: never logged, not even in the message about it). */
function readPostponeLinkKey(env: Env, problems: string[]): string | undefined {
  const key = env.POSTPONE_LINK_KEY?.trim();
  if (!key) return undefined;
  if (Buffer.byteLength(key, "utf8") < 32) problems.push("POSTPONE_LINK_KEY must be at least 32 characters (a random secret, e.g. openssl rand -base64 48)");
  return key;
}

function readWebhookUrl(env: Env, problems: string[]): string | undefined {
  const raw = env.NOTIFY_WEBHOOK_URL?.trim();
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname))) return raw;
  } catch {
    // reported below, without echoing the secret
  }
  problems.push("NOTIFY_WEBHOOK_URL must be an https URL (the value is not shown: it is a secret)");
  return undefined;
}

/** Where people reach the app (status URLs in notices and events): APP_BASE_URL, or Azure's WEBSITE_HOSTNAME. */
function readAppBaseUrl(env: Env, problems: string[]): string | undefined {
  const raw = env.APP_BASE_URL?.trim() || (env.WEBSITE_HOSTNAME?.trim() ? `https://${env.WEBSITE_HOSTNAME.trim()}` : "");
  if (!raw) return undefined;
  try {
    return new URL(raw).origin;
  } catch {
    problems.push(`APP_BASE_URL must be a URL such as https://func-x.azurewebsites.net (got "${raw}")`);
    return undefined;
  }
}

function readActionGroupId(env: Env, problems: string[]): string | undefined {
  const id = env.AUTOSTOP_ACTION_GROUP_ID?.trim().replace(/\/+$/, "");
  if (!id) return undefined;
  if (!/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.Insights\/actionGroups\/[^/]+$/i.test(id)) {
    problems.push(`AUTOSTOP_ACTION_GROUP_ID must be an action group's resource id, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Insights/actionGroups/<name> (got "${id}")`);
    return undefined;
  }
  return id;
}

/** The value of the managed-by tag on AutoStop's alerts: the app's name in Azure, so two deployments never share alerts. */
function readManagedBy(env: Env, problems: string[]): string {
  const value = env.AUTOSTOP_MANAGED_BY?.trim() || env.WEBSITE_SITE_NAME?.trim() || "startstop-vms-next";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value)) problems.push(`AUTOSTOP_MANAGED_BY must be 1-128 letters, digits, dots, hyphens or underscores (got "${value}")`);
  return value;
}

function readStorage(env: Env, problems: string[]): StorageConnection {
  const connectionString = env.AzureWebJobsStorage?.trim();
  if (connectionString) {
    if (connectionString === "UseDevelopmentStorage=true" || /AccountName=|BlobEndpoint=|QueueEndpoint=/i.test(connectionString)) {
      return { kind: "connectionString", connectionString };
    }
    problems.push('AzureWebJobsStorage must be a storage connection string or "UseDevelopmentStorage=true"');
    return { kind: "connectionString", connectionString: "" };
  }
  const queueServiceUri = env.AzureWebJobsStorage__queueServiceUri?.trim();
  const tableServiceUri = env.AzureWebJobsStorage__tableServiceUri?.trim();
  if (queueServiceUri && tableServiceUri) {
    return { kind: "identity", queueServiceUri, tableServiceUri, clientId: env.AzureWebJobsStorage__clientId?.trim() || undefined };
  }
  problems.push(
    "Storage is not configured: set AzureWebJobsStorage (connection string, local only) or, with a managed identity, " +
      "AzureWebJobsStorage__queueServiceUri and AzureWebJobsStorage__tableServiceUri (and AzureWebJobsStorage__clientId for a user-assigned identity)",
  );
  return { kind: "connectionString", connectionString: "" };
}
