/**
 * The guardian's settings, read and validated once (a bad one stops it at start-up, naming the setting). It has its
 * own identity and its own few settings; it shares nothing with the main app but the two tables and the one site it
 * is allowed to deploy to.
 */
import { isLoopbackHost, readLocalTime, type AppConfig, type Env } from "../config";

export interface GuardianConfig {
  /** GUARDIAN_SCHEDULE: how often it looks (NCRONTAB); by default every minute: at most half a heartbeat period, so a release that cannot start is rolled back within 2 periods (rule.ts). */
  schedule: string;
  /** HEARTBEAT_PERIOD_SECONDS: the main app's heartbeat period (its HEARTBEAT_SCHEDULE), in the app's seconds. */
  heartbeatPeriodSeconds: number;
  /** APP_RESOURCE_ID: the main function app, the one site it may deploy to. */
  appResourceId: string;
  /** The main app's storage (its heartbeat and self-update tables): a connection string locally, an identity in Azure. */
  appStorage: { kind: "connectionString"; connectionString: string } | { kind: "identity"; tableServiceUri: string };
  /** The guardian's own user-assigned identity (AZURE_CLIENT_ID), for ARM and for the main app's tables. */
  clientId?: string;
  armEndpoint: string;
  armIsLocalSimulator: boolean;
  armCaCertPath?: string;
  localTime: AppConfig["localTime"];
}

const SITE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+$/i;

export function loadGuardianConfig(env: Env = process.env): GuardianConfig {
  const problems: string[] = [];
  const schedule = env.GUARDIAN_SCHEDULE?.trim() || "0 */1 * * * *";
  if (schedule.split(/\s+/).length !== 6) problems.push(`GUARDIAN_SCHEDULE must be a six-field NCRONTAB expression such as "0 */1 * * * *" (got "${schedule}")`);
  const periodText = env.HEARTBEAT_PERIOD_SECONDS?.trim() || "300";
  const heartbeatPeriodSeconds = Number(periodText);
  if (!Number.isInteger(heartbeatPeriodSeconds) || heartbeatPeriodSeconds < 1 || heartbeatPeriodSeconds > 86_400) problems.push(`HEARTBEAT_PERIOD_SECONDS must be an integer between 1 and 86400 (got "${periodText}")`);
  const appResourceId = env.APP_RESOURCE_ID?.trim() ?? "";
  if (!SITE_ID.test(appResourceId)) problems.push(`APP_RESOURCE_ID must be the main function app's resource id (/subscriptions/…/providers/Microsoft.Web/sites/<name>) (got "${appResourceId}")`);
  const connectionString = env.APP_STORAGE?.trim();
  const tableServiceUri = env.APP_STORAGE__tableServiceUri?.trim();
  if (!connectionString && !tableServiceUri) problems.push("The main app's storage is not configured: set APP_STORAGE__tableServiceUri (Azure, with the guardian's identity) or APP_STORAGE (a connection string, local only)");
  const armEndpoint = (env.ARM_ENDPOINT?.trim() || "https://management.azure.com").replace(/\/+$/, "");
  let armIsLocalSimulator = false;
  try {
    const url = new URL(armEndpoint);
    if (url.protocol !== "https:") problems.push(`ARM_ENDPOINT must be an https URL (got "${armEndpoint}")`);
    armIsLocalSimulator = isLoopbackHost(url.hostname);
  } catch {
    problems.push(`ARM_ENDPOINT must be a URL such as https://management.azure.com (got "${armEndpoint}")`);
  }
  const armCaCertPath = env.ARM_CA_CERT_PATH?.trim() || undefined;
  if (armCaCertPath && !armIsLocalSimulator) problems.push("ARM_CA_CERT_PATH is only for the local ARM simulator");
  const localTime = readLocalTime(env, armIsLocalSimulator, problems);
  if (problems.length > 0) throw new Error(`The guardian's settings are not valid:\n- ${problems.join("\n- ")}`);
  return {
    schedule, heartbeatPeriodSeconds, appResourceId, armEndpoint, armIsLocalSimulator, armCaCertPath, localTime,
    appStorage: tableServiceUri ? { kind: "identity", tableServiceUri } : { kind: "connectionString", connectionString: connectionString! },
    clientId: env.AZURE_CLIENT_ID?.trim() || undefined,
  };
}
