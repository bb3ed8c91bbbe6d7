/**
 * The guardian end to end: with AUTO_UPDATE_MODE=apply the app deploys a signed release that cannot start (its hosts
 * start on an app whose entry point throws, so neither its heartbeat nor its own update check ever runs). The guardian,
 * its own function app in its own host process with its own identity, rolls it back: the simulator's records show the
 * rollback deployment by the guardian's principal, from the app's deployment container, with the bytes of the package
 * that ran before, within the bound the guarantee gives (in the world's simulated time); the hosts run the old version
 * again and its heartbeat passes; the attempt says RolledBack by the guardian. A good release is never rolled back by
 * it, and its identity can start or stop no VM (403 in the simulator's log).
 */
import { TableClient } from "@azure/data-tables";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArmComputeGateway } from "../../src/adapters/armCompute";
import { GUARDIAN_SIMULATOR_TOKEN, simulatorCredential } from "../../src/adapters/credentials";
import { requiredAction } from "../../src/local/arm-simulator/rbac";
import { ROLLBACK_WITHIN_PERIODS, START_PERIODS } from "../../src/guardian/rule";
import { startReleaseFeed, type RunningReleaseFeed } from "../../src/local/release-feed";
import { APP_PRINCIPAL, GUARDIAN_PRINCIPAL, World, generatedFleet } from "../../src/local/world";
import { runningVersion } from "../../src/operations/version";
import { descendants, literal, parseBicep, REPO } from "../infra/bicep";
import { SUB_A } from "../support/fleets";

const SITE = "/subscriptions/0a0a0a0a-0000-4000-8000-0000000000a0/resourceGroups/rg-startstop/providers/Microsoft.Web/sites/func-world";
const TIME_SCALE = 30;
/** HEARTBEAT_SCHEDULE every 5 real seconds: 150 s of the world's time. */
const HEARTBEAT_PERIOD_S = 5 * TIME_SCALE;
/** GUARDIAN_SCHEDULE every real second: 30 s of the world's time. */
const GUARDIAN_PERIOD_S = 1 * TIME_SCALE;

/** The role the Bicep gives self-update and the guardian on the main app (infra/rbac/self-update-role.bicep). */
async function siteDeployActions(): Promise<string[]> {
  const role = await parseBicep(path.join(REPO, "infra/rbac/self-update-role.bicep"));
  return descendants(role.root, "variable_declaration").filter((v) => v.namedChildren[0]!.text === "selfUpdateActions")
    .flatMap((v) => literal(v.namedChildren.find((c) => c?.type === "array")!) as string[]);
}

let world: World;
let feed: RunningReleaseFeed;
let runningSha256: string;
const running = runningVersion();
const bump = (minor: number) => { const [a, b] = running.split(".").map(Number); return `${a}.${b! + minor}.0`; };

beforeAll(async () => {
  feed = await startReleaseFeed();
  runningSha256 = feed.publish(running).sha256;
  const actions = await siteDeployActions();
  world = await World.start({
    fleet: generatedFleet([{ subscriptionId: SUB_A, resourceGroup: "rg-g", location: "westeurope", count: 2, powerState: "running", namePrefix: "g-" }]),
    timeScale: TIME_SCALE,
    deploymentStorage: true,
    roleAssignments: [{ scope: `/subscriptions/${SUB_A}`, actions: ["Microsoft.Compute/virtualMachines/read"] }, { scope: SITE, actions }],
    settings: {
      LOCAL_HOST_DISABLE_TIMERS: "false", RELEASE_FEED_URL: feed.url, AUTO_UPDATE_MODE: "apply", AUTO_UPDATE_SCHEDULE: "*/2 * * * * *",
      // The app's own check comes well after the guardian's window (2 heartbeat periods and a tick): the guardian decides.
      AUTO_UPDATE_VERIFY_MINUTES: "8", HEARTBEAT_SCHEDULE: "*/5 * * * * *", TARGET_SCOPES: `/subscriptions/${SUB_A}`, AUTO_UPDATE_SIGNING_KEY: feed.publicKey,
      WATCHDOG_SCHEDULE: "0 0 0 1 1 *", EVICTION_WATCH_SCHEDULE: "0 0 0 1 1 *", AUTOSTOP_SYNC_SCHEDULE: "0 0 0 1 1 *",
    },
    // The guardian holds the same deploy role on the main app only, and nothing else.
    guardian: { settings: { GUARDIAN_SCHEDULE: "*/1 * * * * *", HEARTBEAT_PERIOD_SECONDS: String(HEARTBEAT_PERIOD_S) }, roleAssignments: [{ scope: SITE, actions }] },
  });
}, 60_000);
afterAll(async () => {
  await world?.stop();
  await feed?.close();
});

type Deployment = { time: string; packageUri: string; principal: string; sha256?: string; version?: string; error?: string };
const deployments = async () => (await world.sim<{ deployments: Deployment[] }>("GET", "webDeployments")).deployments;
const containerUrl = () => world.appSettings().DEPLOYMENT_STORAGE_CONTAINER_URL!;
const health = async (): Promise<{ version?: string; ok?: boolean; checkedAt?: string } | undefined> => (await world.callFunction("GET", "health").catch(() => undefined))?.body;
async function attempt(version: string): Promise<Record<string, any> | undefined> {
  const table = TableClient.fromConnectionString(world.azurite.connectionString, "autoupdaterequestdetailsstoretable", { allowInsecureConnection: true });
  try {
    for await (const e of table.listEntities<Record<string, any>>({ queryOptions: { filter: `PartitionKey eq '${version}'` } })) return e;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return undefined;
}
const until = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> =>
  world.eventually(what, probe, { everyMs: 250, explain: () => [...world.hostLogs().slice(-8), ...world.guardianLogs().slice(-8)].join("\n") });
const ms = (iso: string | Date) => new Date(iso).getTime();

describe("the guardian", () => {
  it("rolls back a signed release that cannot start, from outside the app, within 2 heartbeat periods", async () => {
    await until("the running version's heartbeat to pass", async () => { const h = await health(); return h?.ok === true && h.version === running; });
    const broken = bump(1);
    feed.publish(broken, { cannotStart: true });
    const [bad, rollback] = await until("the guardian's rollback deployment", async () => { const d = await deployments(); return d.length >= 2 && d[1]!.sha256 !== undefined && d; });
    // The bad release: deployed by the app itself, verified and staged; the platform could not start it.
    expect(bad).toMatchObject({ principal: APP_PRINCIPAL, version: broken });
    expect(bad!.error).toMatch(/cannot start/);
    // The rollback: by the guardian's own principal, from the deployment container, the bytes that ran before.
    expect(rollback).toMatchObject({ principal: GUARDIAN_PRINCIPAL, version: running, sha256: runningSha256 });
    expect(rollback!.packageUri.startsWith(`${containerUrl()}/`)).toBe(true);
    expect(feed.downloads.get(new URL(rollback!.packageUri).pathname) ?? 0).toBe(0); // nothing fetched it from the feed
    const row = (await attempt(broken))!;
    expect(row).toMatchObject({ state: "RolledBack", rollbackBy: "guardian", fromVersion: running, toVersion: broken, previousStagedUrl: rollback!.packageUri });
    expect(row.reason).toMatch(new RegExp(`^${broken.replace(/\./g, "\\.")} did not start: no heartbeat by ${broken.replace(/\./g, "\\.")} passed within 1.5 heartbeat periods .*; rolled back by the guardian to ${running.replace(/\./g, "\\.")}$`));
    // When, in the world's time: not before the new version had its 1.5 periods to pass a heartbeat, and within the
    // promised 2 periods of the deployment (the guardian ticks every fifth of a period here).
    const waited = ms(rollback!.time) - ms(row.deployedAt);
    console.log(`guardian rollback: ${(waited / 1000).toFixed(0)} s of world time after the deployment (decided after ${START_PERIODS * HEARTBEAT_PERIOD_S} s, promised within ${ROLLBACK_WITHIN_PERIODS * HEARTBEAT_PERIOD_S} s, a tick = ${GUARDIAN_PERIOD_S} s)`);
    expect(waited).toBeGreaterThanOrEqual(START_PERIODS * HEARTBEAT_PERIOD_S * 1000);
    expect(waited).toBeLessThanOrEqual(ROLLBACK_WITHIN_PERIODS * HEARTBEAT_PERIOD_S * 1000);
    // The old version runs again, and its heartbeat passes.
    const back = await until("the old version's heartbeat to pass after the rollback", async () => { const h = await health(); return h?.ok === true && h.version === running && ms(h.checkedAt!) > ms(rollback!.time) && h; });
    expect(back.version).toBe(running);
    expect(await deployments()).toHaveLength(2);
  }, 60_000);

  it("never rolls back a good release: its heartbeat passed", async () => {
    const good = bump(2);
    const { sha256 } = feed.publish(good);
    const [, , deployed] = await until("the good release's deployment", async () => { const d = await deployments(); return d.length === 3 && d[2]!.sha256 !== undefined && d; });
    expect(deployed).toMatchObject({ principal: APP_PRINCIPAL, version: good, sha256 });
    const row = (await attempt(good))!;
    const windowEnd = ms(row.deployedAt) + (START_PERIODS * HEARTBEAT_PERIOD_S + 2 * GUARDIAN_PERIOD_S) * 1000;
    // Past the guardian's whole window, with the attempt still Deployed (the app's own check comes later): untouched.
    const ticks = () => world.guardianLogs().filter((l) => l.includes(`Guardian: started (attempt ${row.rowKey}`)).length;
    await until("the guardian's window to pass", async () => world.armSimulator.clock.now() > windowEnd && ticks() > 0);
    const before = ticks();
    await until("one more guardian tick", async () => ticks() > before);
    expect((await attempt(good))!.state).toBe("Deployed");
    expect(await deployments()).toHaveLength(3);
    expect(world.guardianLogs().filter((l) => /Guardian: (rolledBack|retrying|failed)/.test(l) && l.includes(row.rowKey))).toEqual([]);
    await until("the app's own verdict", async () => (await attempt(good))?.state === "Succeeded");
    expect(await deployments()).toHaveLength(3);
  }, 60_000);

  it("the guardian's identity can start or stop no VM: the simulator refuses it (403 in its log)", async () => {
    const gateway = new ArmComputeGateway({ endpoint: world.simUrl, credential: simulatorCredential(world.simUrl, GUARDIAN_SIMULATOR_TOKEN), caCertPath: world.caPath });
    const vm = { subscriptionId: SUB_A, resourceGroup: "rg-g", name: "g-0001" };
    await expect(gateway.requestPowerAction(vm, "deallocate")).rejects.toMatchObject({ failure: { status: 403, code: "AuthorizationFailed" } });
    await expect(gateway.requestPowerAction(vm, "start")).rejects.toMatchObject({ failure: { status: 403, code: "AuthorizationFailed" } });
    const byGuardian = (await world.armRequests()).filter((r) => r.principal === GUARDIAN_PRINCIPAL);
    expect(byGuardian.filter((r) => /\/virtualMachines\/g-0001\/(deallocate|start)$/.test(r.path)).map((r) => r.status)).toEqual([403, 403]);
    // Everything else it ever sent was the one rollback, on the main app, and was allowed.
    expect(byGuardian.filter((r) => !/\/virtualMachines\//.test(r.path)).map((r) => ({ ...requiredAction(r.method, r.path), status: r.status })))
      .toEqual([{ action: "Microsoft.Web/sites/extensions/write", scope: SITE, status: 200 }]);
    expect((await world.vms()).find((v) => v.name === "g-0001")!.powerState).toBe("running");
  });
});
