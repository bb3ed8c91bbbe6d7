/**
 * The composition root: builds the engine's dependencies from the validated settings, once per process.
 * Settings are checked when the app loads, so a bad one stops the app before any trigger fires.
 */
import { loadConfig, type AppConfig } from "../../config";
import { ArmComputeGateway } from "../../adapters/armCompute";
import { azureCredential, simulatorCredential } from "../../adapters/credentials";
import { queueService, tableClient } from "../../adapters/storageClients";
import { StorageMessageQueue } from "../../adapters/storageQueues";
import { QUEUE_NAMES } from "../../engine/queueNames";
import { TABLE_NAMES, TableRequestStore } from "../../adapters/tableRequestStore";
import { DESIRED_STATE_TABLE, TableDesiredStateStore } from "../../adapters/tableDesiredStateStore";
import { appClock } from "../../adapters/clock";
import { Backpressure } from "../../engine/backpressure";
import type { EngineDeps } from "../../engine/ports";
import { remoteSigningKeys } from "../../trust/signingKeys";
import type { SigningKeyLookup } from "../../trust/bearerToken";
import { SCHEDULED_EVENTS_TABLE, TableScheduledEventStore } from "../../adapters/tableScheduledEventStore";
import { ArmMetricAlertGateway } from "../../adapters/armMetricAlerts";
import { ArmAlertsManagementGateway } from "../../adapters/armAlertsManagement";
import { BUDGET_TABLE, TableBudgetLedger } from "../../adapters/tableBudgetLedger";
import { AUTOSTOP_TABLES, TableAutoStopStore } from "../../adapters/tableAutoStopStore";
import { TokenBuckets } from "../../domain/pacing";
import type { AutoStopDeps } from "../../autostop/autoStopDeps";
import { StdoutTelemetry, type Telemetry } from "../../telemetry/telemetry";
import { ArmPlatformEventsGateway } from "../../adapters/armPlatformEvents";
import { EVICTIONS_TABLE, TableEvictionStore } from "../../adapters/tableEvictionStore";
import type { EvictionWatchDeps } from "../../platformEvents/evictionWatch";
import type { HeartbeatDeps } from "../../operations/heartbeat";
import { runningVersion } from "../../operations/version";
import { FailureNotifier } from "../../operations/failureNotice";
import { HttpWebhookPoster } from "../../adapters/httpWebhook";
import { RequestFinishedEvent } from "../../telemetry/requestFinishedEvent";
import type { AutoUpdateDeps } from "../../autoUpdate/updateDeps";
import { HttpReleaseFeed } from "../../adapters/releaseFeed";
import { ArmOneDeploy } from "../../adapters/armWebDeploy";
import { BlobPackageStaging } from "../../adapters/blobPackageStaging";
import { AUTO_UPDATE_TABLE, TableAutoUpdateStore } from "../../adapters/tableAutoUpdateStore";
import { usableReleases } from "../../autoUpdate/release";
import type { RequestFinishedListener } from "../../engine/ports";
import { StorageHealth } from "../../adapters/storageHealth";
import { HEARTBEAT_TABLE, TableHeartbeatStore } from "../../adapters/tableHeartbeatStore";
import { SAVINGS_HISTORY_TABLE, TableSavingsHistoryStore } from "../../adapters/tableSavingsHistoryStore";
import { SAVINGS_PRICES_TABLE, TablePriceCache } from "../../adapters/tablePriceCache";
import { HttpRetailPrices } from "../../adapters/retailPrices";
import { SavingsHistoryRecorder } from "../../savings/recordHistory";
import { ActivityLogStartLookup } from "../../savings/startLookup";
import { savingsReport, type SavingsDeps } from "../../savings/savingsService";
import { RUN_SUMMARY_TABLE, TableRunSummaryStore } from "../../adapters/tableRunSummaryStore";
import { RunSummaryRecorder } from "../../dashboard/runSummary";
import type { DashboardDeps } from "../../dashboard/dashboardData";
import type { DashboardAuth } from "../../dashboard/auth";
import { parseLogicAppSchedules } from "../../dashboard/transitions";
import { parseSchedule, type Schedule } from "../../schedules/schedule";
import { countStatuses } from "../../domain/runState";
import { SCHEDULES_TABLE, TableScheduleStore } from "../../adapters/tableScheduleStore";
import { SCHEDULE_STATE_TABLE, TableScheduleStateStore } from "../../adapters/tableScheduleStateStore";
import { ArmResourceGroups } from "../../adapters/armResourceGroups";
import { ScheduleEvaluator } from "../../schedules/evaluator";
import { submitRequest } from "../../engine/submitRequest";

export const config: AppConfig = loadConfig();
/** The app's one clock: the only reader of the local world's time compression (see Clock in src/engine/ports.ts). */
const clock = appClock(config.localTime);

let deps: EngineDeps | undefined;

export function engine(): EngineDeps {
  deps ??= buildEngine(config);
  return deps;
}

/** How every ARM client of the app reaches Azure (or the local simulator). */
function armSettings(c: AppConfig) {
  return {
    endpoint: c.armEndpoint,
    credential: c.armIsLocalSimulator ? simulatorCredential(c.armEndpoint) : azureCredential(process.env.AZURE_CLIENT_ID),
    caCertPath: c.armCaCertPath,
    clock,
  };
}

let compute: ArmComputeGateway | undefined;

/** The one Microsoft.Compute client of the process (the engine's gateway, and the heartbeat's scope probe). */
function computeGateway(c: AppConfig): ArmComputeGateway {
  compute ??= new ArmComputeGateway(armSettings(c));
  return compute;
}

let telemetryInstance: Telemetry | undefined;

/**
 * The Azure Monitor distro (the OpenTelemetry SDK and its exporters) is loaded only when telemetry goes to Application
 * Insights: it is about 60 MiB of heap that an app without a connection string (the local world, the benchmark's
 * orchestrator) would otherwise carry for nothing.
 */
function azureMonitor(): typeof import("../../telemetry/azureMonitorTelemetry") {
  return require("../../telemetry/azureMonitorTelemetry") as typeof import("../../telemetry/azureMonitorTelemetry");
}

/** Events and availability results for operators (Application Insights in Azure, stdout locally). */
export function telemetry(): Telemetry {
  const ai = config.applicationInsights;
  telemetryInstance ??= ai
    ? new (azureMonitor().AzureMonitorTelemetry)({ connectionString: ai.connectionString, credential: ai.useEntraId ? azureCredential(ai.clientId) : undefined, runLocation: process.env.REGION_NAME ?? "function app" })
    : new StdoutTelemetry();
  return telemetryInstance;
}

function buildEngine(c: AppConfig): EngineDeps {
  const queues = queueService(c.storage);
  return {
    compute: computeGateway(c),
    store: new TableRequestStore(tableClient(c.storage, TABLE_NAMES.requests), tableClient(c.storage, TABLE_NAMES.subscriptions)),
    desiredStates: new TableDesiredStateStore(tableClient(c.storage, DESIRED_STATE_TABLE)),
    maintenance: scheduledEventStore(c),
    orchestrationQueue: new StorageMessageQueue(queues, QUEUE_NAMES.orchestration, clock),
    executionQueue: new StorageMessageQueue(queues, QUEUE_NAMES.execution, clock),
    clock,
    random: Math.random,
    backpressure: new Backpressure(c.pacing, c.breaker),
    budget: new TableBudgetLedger(tableClient(c.storage, BUDGET_TABLE), c.pacing),
    settings: {
      deadlineMinutes: c.deadlineMinutes,
      verifyIntervalSeconds: c.verifyIntervalSeconds,
      stallGraceSeconds: c.stallGraceSeconds,
      singleReadThreshold: c.singleReadThreshold,
      verifyListVmsPerSecond: c.verifyListVmsPerSecond,
      retry: c.retry,
      pacing: c.pacing,
      budgetCallWindowSeconds: c.budgetCallWindowSeconds,
    },
    log: (message, fields) => telemetry().trace(message, { level: "warning", ...fields }),
    finishedListeners: finishedListeners(c),
  };
}

export interface PlatformEventDeps {
  settings: NonNullable<AppConfig["platformEvents"]>;
  keys: SigningKeyLookup;
  store: TableScheduledEventStore;
  clock: EngineDeps["clock"];
  /** Reports are kept only for VMs in TARGET_SCOPES or with a desired state. */
  targetScopes: string[];
  desiredStates: EngineDeps["desiredStates"];
}

let platformEventDeps: PlatformEventDeps | undefined;
let scheduledEvents: TableScheduledEventStore | undefined;

/** Reported maintenance: written by POST /api/events, read by the executor before every call. */
function scheduledEventStore(c: AppConfig): TableScheduledEventStore {
  scheduledEvents ??= new TableScheduledEventStore(tableClient(c.storage, SCHEDULED_EVENTS_TABLE));
  return scheduledEvents;
}

/** What POST /api/events needs; undefined when the app is not configured to take agent reports. */
export function platformEvents(): PlatformEventDeps | undefined {
  if (!config.platformEvents) return undefined;
  platformEventDeps ??= {
    settings: config.platformEvents,
    keys: remoteSigningKeys(config.platformEvents.jwksUrl),
    store: scheduledEventStore(config),
    clock: engine().clock,
    targetScopes: config.operations.targetScopes,
    desiredStates: engine().desiredStates,
  };
  return platformEventDeps;
}

let autoStopDeps: AutoStopDeps | undefined;

/** What AutoStop's functions need; the compute gateway and clock are the engine's own. */
export function autoStop(): AutoStopDeps {
  const e = engine();
  autoStopDeps ??= {
    compute: e.compute,
    alerts: new ArmMetricAlertGateway(armSettings(config)),
    instances: new ArmAlertsManagementGateway(armSettings(config)),
    store: new TableAutoStopStore(tableClient(config.storage, AUTOSTOP_TABLES.configurations), tableClient(config.storage, AUTOSTOP_TABLES.runs)),
    queue: new StorageMessageQueue(queueService(config.storage), QUEUE_NAMES.createAlert, clock),
    clock: e.clock,
    random: e.random,
    retry: config.retry,
    writeBuckets: new TokenBuckets({ burst: config.pacing.armWrites.burst * config.pacing.share, refillPerSecond: config.pacing.armWrites.refillPerSecond * config.pacing.share }),
    telemetry: telemetry(),
    settings: { managedBy: config.autoStop.managedBy, actionGroupId: config.autoStop.actionGroupId, runDeadlineMinutes: config.autoStop.runDeadlineMinutes },
    log: e.log,
  };
  return autoStopDeps;
}

let evictionWatchDeps: EvictionWatchDeps | undefined;

/** What the eviction watcher needs: the engine (to read VMs and submit restarts), the Activity Log, its records. */
export function evictionWatch(): EvictionWatchDeps {
  evictionWatchDeps ??= {
    engine: engine(),
    activity: new ArmPlatformEventsGateway(armSettings(config)),
    evictions: evictionStore(),
    telemetry: telemetry(),
    settings: config.evictions,
  };
  return evictionWatchDeps;
}

let evictions: TableEvictionStore | undefined;

export function evictionStore(): TableEvictionStore {
  evictions ??= new TableEvictionStore(tableClient(config.storage, EVICTIONS_TABLE));
  return evictions;
}

/** Who hears of a finished request: always the RequestFinished event; the failure notice when a webhook is set. */
function finishedListeners(c: AppConfig): RequestFinishedListener[] {
  const listeners: RequestFinishedListener[] = [new RequestFinishedEvent(telemetry(), c.operations.appBaseUrl)];
  // The savings history: each finished start/stop run's verified stops and starts (src/savings/recordHistory.ts).
  listeners.push({ requestFinished: (finished) => new SavingsHistoryRecorder(engine().store, savingsHistory()).requestFinished(finished) });
  // The dashboard's list of runs (src/dashboard/runSummary.ts).
  listeners.push(new RunSummaryRecorder(runSummaries(), () => clock.now()));
  if (c.operations.notifyWebhookUrl) {
    listeners.push(new FailureNotifier(new HttpWebhookPoster(), clock, {
      webhookUrl: c.operations.notifyWebhookUrl, appBaseUrl: c.operations.appBaseUrl, attempts: 3, firstRetrySeconds: clock.appSeconds(2),
    }, (message) => console.warn(message)));
  }
  return listeners;
}

let heartbeatDeps: HeartbeatDeps | undefined;

/** What the heartbeat checks with: the app's storage, the compute gateway's scope probe, the open-request index. */
export function heartbeat(): HeartbeatDeps {
  const e = engine();
  heartbeatDeps ??= {
    storage: new StorageHealth(
      queueService(config.storage, { singleTry: true }), tableClient(config.storage, HEARTBEAT_TABLE, { singleTry: true }),
      Object.values(QUEUE_NAMES),
    ),
    scopes: computeGateway(config),
    requests: e.store,
    now: () => e.clock.now(),
    settings: { targetScopes: config.operations.targetScopes, overdueGraceMinutes: config.operations.overdueGraceMinutes, version: runningVersion(), checkTimeoutMs: 20_000 },
    latestRelease: config.autoUpdate.feedUrl && config.autoUpdate.mode !== "off"
      ? async () => {
        const newest = usableReleases(await new HttpReleaseFeed(config.autoUpdate.feedUrl!).releases(), config.autoUpdate.feedUrl)[0];
        return newest && { version: newest.version, url: newest.pageUrl };
      }
      : undefined,
  };
  return heartbeatDeps;
}

let heartbeats: TableHeartbeatStore | undefined;

export function heartbeatStore(): TableHeartbeatStore {
  heartbeats ??= new TableHeartbeatStore(tableClient(config.storage, HEARTBEAT_TABLE));
  return heartbeats;
}

let autoUpdateDeps: AutoUpdateDeps | undefined;

/** What self-update needs; undefined without a release feed (AUTO_UPDATE_MODE is then moot). */
export function autoUpdate(): AutoUpdateDeps | undefined {
  const c = config.autoUpdate;
  if (!c.feedUrl) return undefined;
  autoUpdateDeps ??= {
    feed: new HttpReleaseFeed(c.feedUrl),
    deployer: new ArmOneDeploy(armSettings(config), c.appResourceId ?? ""),
    staging: new BlobPackageStaging(c.deploymentContainerUrl ?? "https://unset.invalid/deployments", config.storage),
    store: new TableAutoUpdateStore(tableClient(config.storage, AUTO_UPDATE_TABLE)),
    heartbeat: { read: async () => heartbeatStore().last() },
    queue: new StorageMessageQueue(queueService(config.storage), QUEUE_NAMES.autoUpdate, clock),
    clock: engine().clock,
    telemetry: telemetry(),
    settings: { mode: c.mode, runningVersion: runningVersion(), verifyMinutes: c.verifyMinutes, feedUrl: c.feedUrl, signingKey: c.signingKey },
  };
  return autoUpdateDeps;
}

let savingsHistoryStore: TableSavingsHistoryStore | undefined;

function savingsHistory(): TableSavingsHistoryStore {
  savingsHistoryStore ??= new TableSavingsHistoryStore(tableClient(config.storage, SAVINGS_HISTORY_TABLE));
  return savingsHistoryStore;
}

let savingsDeps: SavingsDeps | undefined;

/** What GET /api/savings needs: the history, the prices (API + cache), the VM lists and the Activity Log. */
export function savings(): SavingsDeps {
  const e = engine();
  savingsDeps ??= {
    history: savingsHistory(),
    prices: new HttpRetailPrices(config.savings.pricesUrl),
    priceCache: new TablePriceCache(tableClient(config.storage, SAVINGS_PRICES_TABLE)),
    compute: e.compute,
    starts: new ActivityLogStartLookup(new ArmPlatformEventsGateway(armSettings(config))),
    now: () => e.clock.now(),
    settings: { reservedSizes: new Set(config.savings.reservedSizes), scheduleTag: config.savings.scheduleTag, lookbackDays: config.savings.lookbackDays, priceMaxAgeHours: 24, maxStartLookups: 100 },
  };
  return savingsDeps;
}

let callerKeys: SigningKeyLookup | undefined;

/** How machine callers are proven (src/trust/): the settings and the issuer's signing keys; undefined when not set up. */
export function callers(): { settings: NonNullable<AppConfig["callers"]>; keys: SigningKeyLookup; now: () => Date } | undefined {
  const c = config.callers;
  if (!c) return undefined;
  callerKeys ??= remoteSigningKeys(c.jwksUrl);
  return { settings: c, keys: callerKeys, now: () => clock.now() };
}

let scheduleStoreInstance: TableScheduleStore | undefined;

/** Named schedules (`schedulestoretable`): the schedules API and the ScheduleEvaluator read them. */
export function scheduleStore(): TableScheduleStore {
  scheduleStoreInstance ??= new TableScheduleStore(tableClient(config.storage, SCHEDULES_TABLE));
  return scheduleStoreInstance;
}

let runSummaryStore: TableRunSummaryStore | undefined;

function runSummaries(): TableRunSummaryStore {
  runSummaryStore ??= new TableRunSummaryStore(tableClient(config.storage, RUN_SUMMARY_TABLE));
  return runSummaryStore;
}

export function dashboardAuth(): DashboardAuth {
  const d = config.dashboard;
  return d.auth === "key" ? { mode: "key", key: d.localKey! } : { mode: d.auth };
}

let dashboardDeps: DashboardDeps | undefined;

/** What the dashboard reads: run summaries, open runs, schedules and Logic Apps, savings, budget, breakers, heartbeat. */
export function dashboard(): DashboardDeps {
  const e = engine();
  const budget = e.budget as TableBudgetLedger;
  dashboardDeps ??= {
    runs: runSummaries(),
    openRuns: async () => {
      const open = (await e.store.listOpenRequests()).slice(0, 20);
      const out = [];
      for (const o of open) {
        const r = await e.store.getRequest(o.requestId);
        if (r) out.push({ requestId: r.requestId, action: r.action, state: r.state, createdAt: r.createdAt, counts: countStatuses(await e.store.listVmStatuses(r.requestId)) });
      }
      return out;
    },
    schedules: async () => (await scheduleStore().list()).flatMap((s): Schedule[] => {
      const parsed = parseSchedule(s.input);
      return parsed.ok ? [parsed.schedule] : [];
    }),
    logicApps: parseLogicAppSchedules(config.dashboard.logicAppSchedules),
    savings: (from, to) => savingsReport(savings(), { from, to, groupBy: { kind: "subscription" }, currency: config.savings.currency }),
    budget: () => budget.snapshot(),
    breakers: () => e.backpressure.openBreakers(),
    heartbeat: () => heartbeatStore().last(),
    now: () => e.clock.now(),
    recentDays: 7,
    savingsWeeks: 8,
  };
  return dashboardDeps;
}

let scheduleStates: TableScheduleStateStore | undefined;

/** What the ScheduleEvaluator remembers per VM between ticks (`schedulestatestoretable`); GET /api/vms/{id} reads it too. */
export function scheduleStateStore(): TableScheduleStateStore {
  scheduleStates ??= new TableScheduleStateStore(tableClient(config.storage, SCHEDULE_STATE_TABLE));
  return scheduleStates;
}

let evaluator: ScheduleEvaluator | undefined;

/** The ScheduleEvaluator of this process: its VM inventory and stored states live in memory between ticks. */
export function scheduleEvaluator(): ScheduleEvaluator {
  evaluator ??= buildScheduleEvaluator();
  return evaluator;
}

/** A new evaluator with empty memory (what a restarted process has); the timer uses the one above. */
export function buildScheduleEvaluator(): ScheduleEvaluator {
  const e = engine();
  const compute = computeGateway(config);
  const groups = new ArmResourceGroups(armSettings(config));
  return new ScheduleEvaluator({
    schedules: scheduleStore(),
    states: scheduleStateStore(),
    inventory: {
      listVms: (sub) => compute.listVmsWithStatus(sub), resourceGroupTags: (sub) => groups.tagsByGroup(sub),
      listVmsInGroup: (sub, rg) => compute.listVmsInResourceGroupWithStatus(sub, rg), groupTags: (sub, rg) => groups.tagsOfGroup(sub, rg),
    },
    submit: async (request, identity) => (await submitRequest(e, request, identity)).record.requestId,
    settings: { scopes: config.operations.targetScopes, ...config.schedules },
    log: (message) => telemetry().trace(message, { level: "warning" }),
    notices: noticeSender(),
  });
}

/** Notices before a stop go to the operations webhook, with postpone links; off unless both the key and the webhook are set. */
function noticeSender(): ConstructorParameters<typeof ScheduleEvaluator>[0]["notices"] {
  const key = config.schedules.postponeLinkKey;
  const webhook = config.operations.notifyWebhookUrl;
  if (!key || !webhook) return undefined;
  const poster = new HttpWebhookPoster();
  return {
    key,
    baseUrl: config.operations.appBaseUrl ?? "http://localhost:7071",
    send: async (notice) => {
      const status = await poster.post(webhook, { text: notice.text, schedule: notice.schedule, stopAt: notice.stopAt.toISOString(), stopAtLocal: notice.stopAtLocal, vms: notice.vms.map((v) => v.id), postpone: notice.postpone });
      if (status >= 300) throw new Error(`the notice webhook answered ${status}`);
    },
  };
}
