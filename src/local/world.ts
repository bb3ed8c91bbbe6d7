/**
 * The whole local world, for integration tests and the benchmark: real Azurite, the ARM simulator over
 * HTTPS (in this process), and the app in the local functions host as separate processes (so they can be
 * killed like a real host).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEV_ACCOUNT, DEV_KEY, startAzurite, type RunningAzurite } from "./azurite";
import { startStorageFaultProxy, type FaultKind, type StorageFaultProxy, type StorageService } from "./storage-fault-proxy";
import { QueueServiceClient } from "@azure/storage-queue";
import { findFreePort } from "./freePort";
import { eventually, EVENTUALLY_TIMEOUT_MS, type EventuallyOptions } from "./eventually";
import { requestJson, type JsonResponse } from "./httpsJson";
import { startArmSimulator, type AutoscaleSetting, type ControlScaleSet, type ControlVm, type RequestLogEntry } from "./arm-simulator";
import { startTelemetryCollector, type RunningTelemetryCollector } from "./telemetry-collector";
import { startRetailPrices, RETAIL_PRICES_PATH, type RunningRetailPrices } from "./retail-prices";
import { principalOf } from "./arm-simulator/principal";
import { blobEndpointOf, DEPLOYMENT_CONTAINER, runDeployedPackages } from "./deployedPackages";
import { GUARDIAN_SIMULATOR_TOKEN, SIMULATOR_TOKEN } from "../adapters/credentials";
import { ACTION_GROUPS_APP_ID, SECURE_WEBHOOK_ROLE, startEntraSimulator, type RunningEntraSimulator } from "./entra-simulator";

/** Works from src/local (vitest) and dist/src/local (compiled). */
export const REPO_ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");
export const FUNCTION_KEY = "integration-test-key";
/** The subscription of the app's own resource group (AutoStop's action group lives there, as in Azure). */
export const APP_SUBSCRIPTION = "0a0a0a0a-0000-4000-8000-0000000000a0";
/** The principal the simulator sees for the app (derived from the app's local token, as ARM derives it from a real one). */
export const APP_PRINCIPAL = principalOf(SIMULATOR_TOKEN);
/** The guardian's principal (its own identity, src/guardian/): the simulator's RBAC sees it apart from the app's. */
export const GUARDIAN_PRINCIPAL = principalOf(GUARDIAN_SIMULATOR_TOKEN);
/** The app's Entra application (the audience machine callers request tokens for) and its object ID. */
export const CALLER_AUDIENCE = "api://startstop-world";
export const APP_REGISTRATION_OBJECT_ID = "5e1f0000-0000-4000-8000-00000000a9b0";
/** Object IDs of the machine callers, as the deployment lists them: the Logic Apps' identity, Azure Monitor's webhook. */
export const LOGIC_APPS_PRINCIPAL = "10c1c000-0000-4000-8000-0000000010a1";
export const ACTION_GROUPS_PRINCIPAL = "a0a0a0a0-0000-4000-8000-00000000ac70";

export interface WorldOptions {
  fleet: unknown;
  timeScale?: number;
  /** Extra app settings for the host process. */
  settings?: Record<string, string>;
  /** Number of host processes competing for the same queues. */
  hosts?: number;
  /** Throttling on (documented limits) unless false. */
  limits?: boolean;
  /** Seed of the simulator's random numbers (durations, fault probabilities); default 1. */
  seed?: number;
  /** RBAC for the app's principal, applied before the host starts; none = every action allowed. */
  roleAssignments?: { scope: string; actions: string[] }[];
  /**
   * Puts the app's storage behind the fault-injecting proxy (src/local/storage-fault-proxy.ts) so tests can
   * inject storage outages; the tests' own `azurite.connectionString` stays direct.
   */
  storageFaults?: boolean;
  /** Sends the app's telemetry through the real Azure Monitor exporter to a local ingestion endpoint (`world.telemetry`). */
  telemetryCollector?: boolean;
  /**
   * Models Flex Consumption's deployment storage: Azurite's blob service runs, the app's deployment container is
   * DEPLOYMENT_STORAGE_CONTAINER_URL, and a one-deploy makes the platform run the deployed package (src/local/deployedPackages.ts).
   */
  deploymentStorage?: boolean;
  /** Folder of the function app the hosts load (host.json, package.json "main"); default the repository. */
  appDir?: string;
  /**
   * Runs the guardian (src/guardian/) as its own function app in its own host process, beside the app's hosts: its own
   * settings (GUARDIAN_SCHEDULE, HEARTBEAT_PERIOD_SECONDS), its own principal (GUARDIAN_PRINCIPAL) with these role
   * assignments, the app's tables in Azurite, and one-deploy on the app through the simulator. Never restarted by a
   * deployment to the app.
   */
  guardian?: {
    settings?: Record<string, string>;
    roleAssignments?: { scope: string; actions: string[] }[];
    /** The guardian's function app folder (its deploy package, unzipped); default: this checkout's build. */
    appDir?: string;
  };
}

/** Per function: invocations counted from the hosts' `Executed '<fn>' (...)` lines (not capped like hostLogs). */
export interface InvocationStats {
  succeeded: number;
  failed: number;
  /** Each invocation's `Duration=…ms`, real milliseconds. */
  durationsMs: number[];
}

/** What the simulator's control API returns for a VM and for a logged ARM request. */
export type SimVm = ControlVm;
/** A scale set with each instance's power state, provisioning failure and history. */
export type SimScaleSet = ControlScaleSet;
export type SimAutoscaleSetting = AutoscaleSetting;
export type SimRequest = RequestLogEntry;

export class World {
  private hostProcesses: ChildProcess[] = [];
  private guardianProcess: ChildProcess | undefined;
  private guardianLines: string[] = [];
  /** The app the hosts run now: the default one, or what the platform model deployed (a release that cannot start). */
  private runningAppDir: string;
  readonly hostPort: number;
  private logs: string[] = [];
  private invocations = new Map<string, InvocationStats>();
  /** The proxy between the app and Azurite, when started with `storageFaults: true`. */
  storageProxy: StorageFaultProxy | undefined;
  /** What reached the local Application Insights ingestion endpoint, with `World.start({ telemetryCollector: true })`. */
  telemetry: RunningTelemetryCollector | undefined;
  /** The local Entra ID token issuer (src/local/entra-simulator/): tokens for machine callers, its JWKS. */
  entra!: RunningEntraSimulator;
  /** The local Azure Retail Prices API the app prices savings from (src/local/retail-prices.ts). */
  prices!: RunningRetailPrices;

  private constructor(
    readonly azurite: RunningAzurite,
    private readonly simulator: Awaited<ReturnType<typeof startArmSimulator>>,
    readonly caPath: string,
    hostPort: number,
    private readonly settings: Record<string, string>,
    private readonly appDir: string = REPO_ROOT,
  ) {
    this.hostPort = hostPort;
    this.runningAppDir = appDir;
  }

  static async start(options: WorldOptions): Promise<World> {
    const dir = mkdtempSync(path.join(tmpdir(), "ssv-world-"));
    const caPath = path.join(dir, "sim-ca.pem");
    const azurite = await startAzurite(options.deploymentStorage ? { ports: { blob: await findFreePort(), queue: await findFreePort(), table: await findFreePort() } } : {});
    const storageProxy = options.storageFaults
      ? await startStorageFaultProxy({ queueTarget: azurite.queuePort, tableTarget: azurite.tablePort, accountName: DEV_ACCOUNT, accountKey: DEV_KEY })
      : undefined;
    const simulator = await startArmSimulator({
      fleet: options.fleet as never,
      timeScale: options.timeScale ?? 1,
      caOut: caPath,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.limits === false ? { limits: false } : {}),
    });
    writeFileSync(caPath, simulator.caCertPem);
    for (const a of options.roleAssignments ?? []) simulator.simulator.rbac.assign({ principal: APP_PRINCIPAL, ...a });
    const timeScale = options.timeScale ?? 1;
    // With compressed time the app runs on the simulator's clock: anchor it to the simulator's "now".
    const appSeconds = (real: number) => String(Math.round(real * timeScale));
    const localTime: Record<string, string> = timeScale === 1 ? {} : { LOCAL_TIME_SCALE: String(timeScale), LOCAL_TIME_ANCHOR: `${Math.round(simulator.simulator.clock.now())}@${Date.now()}` };
    const settings: Record<string, string> = {
      AzureWebJobsStorage: storageProxy?.connectionString ?? azurite.connectionString,
      ARM_ENDPOINT: simulator.url,
      ARM_CA_CERT_PATH: caPath,
      LOCAL_FUNCTION_KEY: FUNCTION_KEY,
      // Short waits so tests finish quickly; given in real seconds, converted to the app's (simulated) time.
      VERIFY_INTERVAL_SECONDS: appSeconds(1),
      RETRY_BASE_SECONDS: appSeconds(1),
      RETRY_MAX_SECONDS: appSeconds(4),
      CAPACITY_RETRY_BASE_SECONDS: appSeconds(2),
      CAPACITY_RETRY_MAX_SECONDS: appSeconds(8),
      STALL_GRACE_SECONDS: appSeconds(15),
      // Our own latency between a budget grant and its calls is real time (a storage round trip), not simulated.
      BUDGET_CALL_WINDOW_SECONDS: appSeconds(0.5),
      LOCAL_HOST_QUEUE_LEASE_SECONDS: "5",
      LOCAL_HOST_DISABLE_TIMERS: "true",
      ...localTime,
      ...options.settings,
    };
    const collector = options.telemetryCollector ? await startTelemetryCollector() : undefined;
    if (collector) {
      settings.APPLICATIONINSIGHTS_CONNECTION_STRING = collector.connectionString;
      settings.APPLICATION_INSIGHTS_NO_STATSBEAT = "true";
      settings.OTEL_NODE_RESOURCE_DETECTORS = "none";
      const collectorCa = path.join(dir, "telemetry-collector-ca.pem");
      writeFileSync(collectorCa, collector.caCertPem);
      settings.NODE_EXTRA_CA_CERTS = collectorCa;
    }
    const prices = await startRetailPrices();
    settings.RETAIL_PRICES_URL ??= `${prices.url}${RETAIL_PRICES_PATH}`;
    const hostPort = await findFreePort();
    // Entra ID for the machine callers: the app checks their tokens against this issuer, as Bicep configures it.
    const entra = await startEntraSimulator({ now: () => simulator.simulator.clock.now() });
    settings.CALLER_TOKEN_AUDIENCE ??= CALLER_AUDIENCE;
    settings.CALLER_TOKEN_ISSUER ??= entra.issuer;
    settings.CALLER_JWKS_URL ??= entra.jwksUrl;
    settings.OPERATOR_CALLER_OBJECT_IDS ??= LOGIC_APPS_PRINCIPAL;
    settings.AUTOSTOP_CALLER_OBJECT_IDS ??= ACTION_GROUPS_PRINCIPAL;
    // Agents' reports, when a test turns them on without its own IMDS issuer: VM tokens from the same Entra ID.
    if (settings.EVENTS_TOKEN_AUDIENCE) {
      settings.EVENTS_TOKEN_ISSUER ??= entra.issuer;
      settings.EVENTS_JWKS_URL ??= entra.jwksUrl;
    }
    simulator.simulator.secureWebhookToken = (receiver) => entra.token({ audience: receiver.identifierUri, objectId: ACTION_GROUPS_PRINCIPAL, appId: ACTION_GROUPS_APP_ID, roles: [SECURE_WEBHOOK_ROLE] });
    // AutoStop's action group, as `azd up` deploys it beside the app: a secure webhook (no key) to this world's host.
    settings.AUTOSTOP_ACTION_GROUP_ID ??= simulator.simulator.deployActionGroup(
      APP_SUBSCRIPTION, "rg-startstop", "StartStopVMs_AutoStop", `http://127.0.0.1:${hostPort}/api/AutoStopVM`,
      { identifierUri: CALLER_AUDIENCE, objectId: APP_REGISTRATION_OBJECT_ID, tenantId: entra.tenantId },
    );
    settings.AUTOSTOP_MANAGED_BY ??= "startstop-world";
    // The function app itself (self-update deploys to it).
    settings.APP_RESOURCE_ID ??= simulator.simulator.deployFunctionApp(APP_SUBSCRIPTION, "rg-startstop", "func-world");
    if (options.deploymentStorage) settings.DEPLOYMENT_STORAGE_CONTAINER_URL ??= `${blobEndpointOf(azurite.connectionString)}/${DEPLOYMENT_CONTAINER}`;
    const world = new World(azurite, simulator, caPath, hostPort, settings, options.appDir);
    if (options.deploymentStorage) runDeployedPackages(world, simulator.simulator.webSites);
    world.storageProxy = storageProxy;
    world.telemetry = collector;
    world.entra = entra;
    world.prices = prices;
    for (let i = 0; i < (options.hosts ?? 1); i++) await world.startHost();
    if (options.guardian) {
      for (const a of options.guardian.roleAssignments ?? []) simulator.simulator.rbac.assign({ principal: GUARDIAN_PRINCIPAL, ...a });
      await world.startGuardian(options.guardian.appDir ?? guardianAppOfCheckout(dir), options.guardian.settings ?? {});
    }
    return world;
  }

  private async startGuardian(appDir: string, extra: Record<string, string>): Promise<void> {
    const s = this.settings;
    const env: Record<string, string> = {
      // Its own host storage in Azure (guardian-storage.bicep); locally the same Azurite.
      AzureWebJobsStorage: this.azurite.connectionString,
      APP_STORAGE: this.azurite.connectionString,
      APP_RESOURCE_ID: s.APP_RESOURCE_ID!,
      ARM_ENDPOINT: s.ARM_ENDPOINT!,
      ARM_CA_CERT_PATH: s.ARM_CA_CERT_PATH!,
      ...(s.LOCAL_TIME_SCALE ? { LOCAL_TIME_SCALE: s.LOCAL_TIME_SCALE, LOCAL_TIME_ANCHOR: s.LOCAL_TIME_ANCHOR! } : {}),
      LOCAL_HOST_DISABLE_TIMERS: "false",
      ...extra,
    };
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "dist/src/local/host/main.js"), "--app-dir", appDir, "--port", String(await findFreePort())], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const capture = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line) this.guardianLines.push(line);
      if (this.guardianLines.length > 20_000) this.guardianLines.splice(0, this.guardianLines.length - 10_000);
    };
    child.stdout!.on("data", capture);
    child.stderr!.on("data", capture);
    this.guardianProcess = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the guardian did not start:\n${this.guardianLines.slice(-30).join("\n")}`)), 30_000);
      const onData = (chunk: Buffer) => {
        if (!chunk.toString("utf8").includes("Functions host listening")) return;
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve();
      };
      child.stdout!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the guardian exited with ${code}:\n${this.guardianLines.slice(-30).join("\n")}`));
      });
    });
  }

  /** The guardian's host log (World.start({ guardian })). */
  guardianLogs(): string[] {
    return this.guardianLines;
  }

  /** The app settings a host of this world gets (for a process that runs the app's code outside the host). */
  appSettings(): Record<string, string> {
    return { ...this.settings };
  }

  get simUrl(): string {
    return this.simulator.url;
  }

  /** The in-process simulator (for the benchmark: its clock, without an HTTP round trip). */
  get armSimulator(): Awaited<ReturnType<typeof startArmSimulator>>["simulator"] {
    return this.simulator.simulator;
  }

  get caCertPem(): string {
    return this.simulator.caCertPem;
  }

  /** Process ids of the host processes still running. */
  hostPids(): number[] {
    return this.hostProcesses.filter((p) => p.exitCode === null && p.signalCode === null && p.pid !== undefined).map((p) => p.pid!);
  }

  /** Invocations per function name, counted from every host's log since start. */
  invocationStats(): Map<string, InvocationStats> {
    return this.invocations;
  }

  get hostUrl(): string {
    return `http://127.0.0.1:${this.hostPort}`;
  }

  /** Starts one more host process; the first one serves HTTP on hostPort, others only poll queues. */
  async startHost(): Promise<void> {
    const port = this.hostProcesses.filter((p) => p.exitCode === null && !p.killed).length === 0 ? this.hostPort : await findFreePort();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "dist/src/local/host/main.js"), "--app-dir", this.runningAppDir, "--port", String(port)], {
      env: { ...process.env, ...this.settings },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const capture = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line) this.logs.push(line);
      if (this.logs.length > 20_000) this.logs.splice(0, this.logs.length - 10_000);
    };
    // Whole stdout lines (a chunk may end mid-line) for the invocation counts.
    let partial = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.countInvocation(line);
    });
    child.stdout!.on("data", capture);
    child.stderr!.on("data", capture);
    this.hostProcesses.push(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`host did not start:\n${this.logs.slice(-30).join("\n")}`)), 30_000);
      const onData = (chunk: Buffer) => {
        if (chunk.toString("utf8").includes("Functions host listening")) {
          clearTimeout(timer);
          child.stdout!.off("data", onData);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`host exited with ${code}:\n${this.logs.slice(-30).join("\n")}`));
      });
    });
  }

  private countInvocation(line: string): void {
    const m = /Executed '([^']+)' \((Succeeded|Failed), Id=[^,]*, Duration=(\d+)ms\)/.exec(line);
    if (!m) return;
    let stats = this.invocations.get(m[1]);
    if (!stats) this.invocations.set(m[1], (stats = { succeeded: 0, failed: 0, durationsMs: [] }));
    if (m[2] === "Succeeded") stats.succeeded++;
    else stats.failed++;
    stats.durationsMs.push(Number(m[3]));
  }

  /**
   * The platform restarts the app on another package: every host stops and as many start again with these settings
   * changed (the local world's stand-in for a new version running).
   */
  async restartHosts(changed: Record<string, string | undefined>, options: { appDir?: string } = {}): Promise<void> {
    const hosts = Math.max(1, this.hostProcesses.length);
    await Promise.all(this.hostProcesses.map((p) => stopProcess(p, "SIGTERM")));
    this.hostProcesses = [];
    this.runningAppDir = options.appDir ?? this.appDir;
    for (const [name, value] of Object.entries(changed)) {
      if (value === undefined) delete this.settings[name];
      else this.settings[name] = value;
    }
    for (let i = 0; i < hosts; i++) await this.startHost();
  }

  /** SIGKILL every host: the crash the app must survive. */
  async killHosts(): Promise<void> {
    await Promise.all(this.hostProcesses.map((p) => stopProcess(p, "SIGKILL")));
    this.hostProcesses = [];
  }

  /**
   * Every message of these queues is lost, as when they are poisoned or deleted: the hosts are killed first, so no
   * invocation in progress sends a follow-up after the queue was cleared, then started again (as many as before).
   */
  async loseQueueMessages(...queues: string[]): Promise<void> {
    const hosts = Math.max(1, this.hostProcesses.length);
    await this.killHosts();
    const service = QueueServiceClient.fromConnectionString(this.azurite.connectionString);
    for (const name of queues) await service.getQueueClient(name).clearMessages();
    for (let i = 0; i < hosts; i++) await this.startHost();
  }

  hostLogs(): string[] {
    return this.logs;
  }

  async callFunction(method: string, route: string, body?: unknown, headers: Record<string, string> = {}, rawBody?: string): Promise<JsonResponse> {
    return requestJson(`${this.hostUrl}/api/${route}`, {
      method,
      body,
      rawBody,
      headers: { "x-functions-key": FUNCTION_KEY, ...headers },
    });
  }

  /** Calls a function as a machine caller: an Entra token of `objectId` for the app (or `audience`), no function key. */
  async callAs(objectId: string, method: string, route: string, body?: unknown, options: { audience?: string; headers?: Record<string, string> } = {}): Promise<JsonResponse> {
    const token = this.entra.token({ audience: options.audience ?? CALLER_AUDIENCE, objectId });
    return requestJson(`${this.hostUrl}/api/${route}`, { method, body, headers: { authorization: `Bearer ${token}`, ...options.headers } });
  }

  async sim<T = any>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await requestJson<T>(`${this.simulator.url}/_sim/${route}`, { method, body, ca: this.simulator.caCertPem });
    if (res.status >= 400) throw new Error(`simulator ${method} ${route} -> ${res.status}: ${res.text}`);
    return res.body;
  }

  async vms(): Promise<SimVm[]> {
    return (await this.sim<{ vms: SimVm[] }>("GET", "vms")).vms;
  }

  async scaleSets(): Promise<SimScaleSet[]> {
    return (await this.sim<{ scaleSets: SimScaleSet[] }>("GET", "scaleSets")).scaleSets;
  }

  /** Every autoscale setting the simulator holds (`enabled`, `targetResourceUri`, `profiles` in `properties`). */
  async autoscaleSettings(): Promise<SimAutoscaleSetting[]> {
    return (await this.sim<{ autoscaleSettings: SimAutoscaleSetting[] }>("GET", "autoscaleSettings")).autoscaleSettings;
  }

  async armRequests(): Promise<SimRequest[]> {
    return (await this.sim<{ requests: SimRequest[] }>("GET", "requests")).requests;
  }

  /** Polls the status API until the request is terminal; the cap only turns a hang into a failure saying so. */
  async waitForRequest(requestId: string, timeoutMs = EVENTUALLY_TIMEOUT_MS): Promise<any> {
    let last: any;
    return eventually(`request ${requestId} to finish`, async () => {
      const res = await this.callFunction("GET", `requests/${requestId}?top=1`);
      last = res.body;
      return res.status === 200 && ["Succeeded", "PartiallySucceeded", "Failed"].includes(res.body.state) ? res.body : undefined;
    }, { timeoutMs, everyMs: 500, explain: () => `last status: ${JSON.stringify(last)?.slice(0, 2000)}\n${this.logs.slice(-40).join("\n")}` });
  }

  /** Waits for `probe` to give a value (src/local/eventually.ts); a failure shows the hosts' last log lines. */
  async eventually<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, o: EventuallyOptions = {}): Promise<T> {
    return eventually(what, probe, { explain: () => this.logs.slice(-30).join("\n"), ...o });
  }

  /** Every VM outcome of a request, following the status API's pages. */
  async allOutcomes(requestId: string): Promise<any[]> {
    const vms: any[] = [];
    let route = `requests/${requestId}?top=1000`;
    for (;;) {
      const res = await this.callFunction("GET", route);
      vms.push(...res.body.vms);
      if (!res.body.continuationToken) return vms;
      route = `requests/${requestId}?top=1000&continuationToken=${encodeURIComponent(res.body.continuationToken)}`;
    }
  }

  /**
   * From now on, for `seconds` of real time, the app's storage answers 503 ServerBusy (`serverBusy`), drops
   * connections (`drop`) or is slow (`latency`, `latencyMs` per request). Needs `storageFaults: true`.
   */
  injectStorageOutage(kind: FaultKind, seconds: number, options: { services?: StorageService[]; latencyMs?: number } = {}): void {
    if (!this.storageProxy) throw new Error("injectStorageOutage needs World.start({ storageFaults: true })");
    const fromMs = Date.now();
    this.storageProxy.addFault({ kind, fromMs, toMs: fromMs + seconds * 1000, ...options });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.hostProcesses, ...(this.guardianProcess ? [this.guardianProcess] : [])].map((p) => stopProcess(p, "SIGTERM")));
    await this.storageProxy?.close();
    await this.telemetry?.close();
    await this.entra?.close();
    await this.prices?.close();
    await this.simulator.close();
    await this.azurite.stop();
  }
}

/** The guardian's function app from this checkout's build: its host.json, and a package.json whose "main" is its function. */
function guardianAppOfCheckout(dir: string): string {
  const appDir = path.join(dir, "guardian-app");
  mkdirSync(appDir, { recursive: true });
  copyFileSync(path.join(REPO_ROOT, "guardian/host.json"), path.join(appDir, "host.json"));
  const main = path.relative(appDir, path.join(REPO_ROOT, "dist/src/guardian/functions/*.js")).split(path.sep).join("/");
  writeFileSync(path.join(appDir, "package.json"), JSON.stringify({ name: "startstop-vms-next-guardian", main }));
  return appDir;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
  });
}

/** A fleet of `count` VMs per resource group, for tests that need volume. */
export function generatedFleet(groups: { subscriptionId: string; resourceGroup: string; location: string; count: number; powerState: string; namePrefix?: string; osType?: string; tags?: Record<string, string> }[], durations = { start: { minSeconds: 1, maxSeconds: 3 }, deallocate: { minSeconds: 1, maxSeconds: 3 } }) {
  const subscriptions = new Map<string, any[]>();
  for (const g of groups) {
    const list = subscriptions.get(g.subscriptionId) ?? [];
    list.push({
      name: g.resourceGroup,
      location: g.location,
      vms: [],
      generate: [{ namePrefix: g.namePrefix ?? `${g.resourceGroup}-vm-`, count: g.count, powerState: g.powerState, osType: g.osType ?? "Linux", tags: g.tags ?? {} }],
    });
    subscriptions.set(g.subscriptionId, list);
  }
  return { durations, subscriptions: [...subscriptions].map(([subscriptionId, resourceGroups]) => ({ subscriptionId, resourceGroups })) };
}
