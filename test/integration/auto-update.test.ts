/**
 * Self-update end to end (TriggerAutoUpdate's real timer → UpdateStartStopV2): the same version does nothing; a
 * release whose package does not match its published SHA-256 is refused and nothing is deployed; a newer release is
 * deployed through ARM (the simulator's one-deploy records it) and kept when the heartbeat after it passes; one whose
 * heartbeat fails is rolled back to the package that ran before. Each attempt is a row of autoupdaterequestdetailsstoretable.
 */
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_PRINCIPAL, World, generatedFleet } from "../../src/local/world";
import { startReleaseFeed, type RunningReleaseFeed } from "../../src/local/release-feed";
import { runningVersion } from "../../src/operations/version";
import { SUB_A } from "../support/fleets";
import { descendants, literal, parseBicep, REPO } from "../infra/bicep";
import path from "node:path";

/** Self-update's role, as infra/rbac/self-update-role.bicep defines it: the app may deploy to itself and nothing else. */
async function selfUpdateActions(): Promise<string[]> {
  const role = await parseBicep(path.join(REPO, "infra/rbac/self-update-role.bicep"));
  return descendants(role.root, "variable_declaration").filter((v) => v.namedChildren[0]!.text === "selfUpdateActions")
    .flatMap((v) => literal(v.namedChildren.find((c) => c?.type === "array")!) as string[]);
}
const SITE = "/subscriptions/0a0a0a0a-0000-4000-8000-0000000000a0/resourceGroups/rg-startstop/providers/Microsoft.Web/sites/func-world";
let siteActions: string[];

let world: World;
let feed: RunningReleaseFeed;
const running = runningVersion();
const bump = (minor: number) => { const [a, b] = running.split(".").map(Number); return `${a}.${b! + minor}.0`; };

beforeAll(async () => {
  feed = await startReleaseFeed();
  siteActions = await selfUpdateActions();
  feed.publish(running);
  world = await World.start({
    fleet: generatedFleet([{ subscriptionId: SUB_A, resourceGroup: "rg-u", location: "westeurope", count: 2, powerState: "running", namePrefix: "u-" }]),
    timeScale: 30,
    // Least privilege: VM reads on the target scope (the heartbeat's check), and self-update's role on the app only.
    roleAssignments: [{ scope: `/subscriptions/${SUB_A}`, actions: ["Microsoft.Compute/virtualMachines/read"] }, { scope: SITE, actions: siteActions }],
    settings: {
      LOCAL_HOST_DISABLE_TIMERS: "false", RELEASE_FEED_URL: feed.url, AUTO_UPDATE_MODE: "apply", AUTO_UPDATE_SCHEDULE: "*/2 * * * * *", AUTO_UPDATE_VERIFY_MINUTES: "2",
      HEARTBEAT_SCHEDULE: "*/1 * * * * *", TARGET_SCOPES: `/subscriptions/${SUB_A}`,
      WATCHDOG_SCHEDULE: "0 0 0 1 1 *", EVICTION_WATCH_SCHEDULE: "0 0 0 1 1 *", AUTOSTOP_SYNC_SCHEDULE: "0 0 0 1 1 *",
    },
  });
});
afterAll(async () => {
  await world?.stop();
  await feed?.close();
});

const deployments = async () => (await world.sim<{ deployments: Array<{ packageUri: string; principal: string }> }>("GET", "webDeployments")).deployments;
async function attempts(version: string): Promise<Array<Record<string, any>>> {
  const table = TableClient.fromConnectionString(world.azurite.connectionString, "autoupdaterequestdetailsstoretable", { allowInsecureConnection: true });
  const rows: Array<Record<string, any>> = [];
  try {
    for await (const e of table.listEntities<Record<string, any>>({ queryOptions: { filter: `PartitionKey eq '${version}'` } })) rows.push(e);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
}
const until = <T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> =>
  world.eventually(what, probe, { everyMs: 300, explain: () => world.hostLogs().filter((l) => /auto-update|Auto-update/i.test(l)).slice(-10).join("\n") });

describe("TriggerAutoUpdate / UpdateStartStopV2", () => {
  it("the same version does nothing", async () => {
    await until("a few checks", async () => world.hostLogs().filter((l) => l.includes("Auto-update check") && l.includes(": upToDate")).length >= 2);
    expect(await deployments()).toEqual([]);
    expect(await attempts(running)).toEqual([]);
  });

  it("a package that does not match its published SHA-256 is refused, and nothing is deployed", async () => {
    const bad = bump(1);
    feed.publish(bad, { wrongChecksum: true });
    const [row] = await until("the refusal", async () => { const rows = await attempts(bad); return rows.length > 0 && rows; });
    expect(row).toMatchObject({ state: "Refused", fromVersion: running, toVersion: bad });
    expect(row!.reason).toMatch(/does not match its published SHA-256/);
    await new Promise((r) => setTimeout(r, 3000)); // more checks: still refused once, never deployed
    expect(await attempts(bad)).toHaveLength(1);
    expect(await deployments()).toEqual([]);
  });

  it("a newer release is deployed through ARM, and kept when the heartbeat after it passes", async () => {
    const good = bump(2);
    const { packageUrl } = feed.publish(good);
    await until("the deployment", async () => (await deployments()).length === 1);
    expect(await deployments()).toEqual([expect.objectContaining({ packageUri: packageUrl, principal: APP_PRINCIPAL })]);
    const [row] = await until("the verdict", async () => { const rows = await attempts(good); return rows[0]?.state === "Succeeded" && rows; });
    expect(row!.reason).toMatch(/heartbeat passed/);
    expect(row!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const health = (await world.callFunction("GET", "health")).body;
    expect(health.checks.find((c: any) => c.name === "version").message).toContain(`${bump(2)} is available`);
  }, 60_000);

  it("an update whose heartbeat fails is rolled back to the package that ran before", async () => {
    const next = bump(3);
    feed.publish(next);
    await until("the deployment", async () => (await deployments()).length === 2);
    // The deployed version breaks something the heartbeat checks: the identity can no longer read its target scope
    // (it keeps its rights on the app itself, so it can still deploy).
    await world.sim("DELETE", `rbac?principal=${encodeURIComponent(APP_PRINCIPAL)}`);
    await world.sim("PUT", "rbac", { principal: APP_PRINCIPAL, scope: SITE, actions: siteActions });
    const [row] = await until("the rollback", async () => { const rows = await attempts(next); return rows[0]?.state === "RolledBack" && rows; });
    expect(row!.reason).toMatch(/the heartbeat failed at .*: rolled back to /);
    const all = await deployments();
    expect(all).toHaveLength(3);
    expect(all[2]!.packageUri).toContain(`/v${running}/`);
    // Every deployment was allowed by self-update's role alone: nothing was refused.
    expect((await world.armRequests()).filter((r) => r.status === 403 && /Microsoft\.Web/.test(r.path))).toEqual([]);
  }, 90_000);
});
