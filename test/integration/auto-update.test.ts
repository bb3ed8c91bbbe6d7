/**
 * Self-update end to end (TriggerAutoUpdate's real timer → UpdateStartStopV2): the same version does nothing; a
 * release whose package does not match its published SHA-256, or is signed by a key the app does not pin, or not signed,
 * is refused and nothing is deployed; a newer release is staged in the app's deployment container and deployed from
 * there through ARM (the simulator's one-deploy records it; the world's platform model then runs that version) and kept
 * when the heartbeat the new version runs passes; one whose heartbeat fails is rolled back to the package that ran
 * before; a package the feed swaps after it was verified is never what gets deployed. Each attempt is a row of
 * autoupdaterequestdetailsstoretable.
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
    deploymentStorage: true,
    // Least privilege: VM reads on the target scope (the heartbeat's check), and self-update's role on the app only.
    roleAssignments: [{ scope: `/subscriptions/${SUB_A}`, actions: ["Microsoft.Compute/virtualMachines/read"] }, { scope: SITE, actions: siteActions }],
    settings: {
      LOCAL_HOST_DISABLE_TIMERS: "false", RELEASE_FEED_URL: feed.url, AUTO_UPDATE_MODE: "apply", AUTO_UPDATE_SCHEDULE: "*/2 * * * * *", AUTO_UPDATE_VERIFY_MINUTES: "2",
      HEARTBEAT_SCHEDULE: "*/1 * * * * *", TARGET_SCOPES: `/subscriptions/${SUB_A}`, AUTO_UPDATE_SIGNING_KEY: feed.publicKey,
      WATCHDOG_SCHEDULE: "0 0 0 1 1 *", EVICTION_WATCH_SCHEDULE: "0 0 0 1 1 *", AUTOSTOP_SYNC_SCHEDULE: "0 0 0 1 1 *",
    },
  });
});
afterAll(async () => {
  await world?.stop();
  await feed?.close();
});

const deployments = async () => (await world.sim<{ deployments: Array<{ packageUri: string; principal: string; sha256?: string; version?: string }> }>("GET", "webDeployments")).deployments;
const containerUrl = () => world.appSettings().DEPLOYMENT_STORAGE_CONTAINER_URL!;
/** The version the heartbeat reports (undefined while the platform restarts the hosts on another package). */
const versionRunning = async (): Promise<string | undefined> => (await world.callFunction("GET", "health").catch(() => undefined))?.body?.version;
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

  it("a package signed with a key the app does not pin is refused, and an unsigned release is never deployed", async () => {
    const patch = (n: number) => `${bump(1).split(".").slice(0, 2).join(".")}.${n}`; // between bump(1) and bump(2)
    const forged = patch(1);
    feed.publish(forged, { signature: "otherKey" });
    const [row] = await until("the refusal", async () => { const rows = await attempts(forged); return rows.length > 0 && rows; });
    expect(row).toMatchObject({ state: "Refused", toVersion: forged });
    expect(row!.reason).toMatch(/not signed by the key pinned in AUTO_UPDATE_SIGNING_KEY/);
    const unsigned = patch(2);
    const handled = () => world.hostLogs().filter((l) => l.includes("Auto-update check") && l.includes(": alreadyHandled")).length;
    const before = handled();
    feed.publish(unsigned, { signature: "none" });
    // Two checks after it was published: the unsigned release is not even a candidate (the forged one stays the newest).
    await until("two more checks", async () => handled() >= before + 2);
    expect(await attempts(unsigned)).toEqual([]);
    expect(await deployments()).toEqual([]);
  });

  it("a newer release is staged in the app's deployment container, deployed from there, and kept when the new version's heartbeat passes", async () => {
    const good = bump(2);
    const { sha256 } = feed.publish(good);
    await until("the deployment", async () => (await deployments()).length === 1);
    const [deployment] = await deployments();
    expect(deployment).toMatchObject({ principal: APP_PRINCIPAL });
    expect(deployment!.packageUri.startsWith(`${containerUrl()}/`)).toBe(true);
    const [row] = await until("the verdict", async () => { const rows = await attempts(good); return rows[0]?.state === "Succeeded" && rows; });
    expect(row!.reason).toMatch(new RegExp(`${good.replace(/\./g, "\\.")} runs and its heartbeat passed`));
    expect(row!.sha256).toBe(sha256);
    expect((await deployments())[0]).toMatchObject({ sha256, version: good });
    await until("the new version to answer", async () => (await versionRunning()) === good);
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
    expect(row!.reason).toMatch(new RegExp(`the heartbeat of ${next.replace(/\./g, "\\.")} failed at .*: rolled back to ${bump(2).replace(/\./g, "\\.")}`));
    const all = await deployments();
    expect(all).toHaveLength(3);
    expect(all[2]!.packageUri).toContain(`startstop-vms-next-${bump(2)}-`);
    await until("the rolled-back version to run", async () => (await versionRunning()) === bump(2));
    // Every deployment was allowed by self-update's role alone: nothing was refused.
    expect((await world.armRequests()).filter((r) => r.status === 403 && /Microsoft\.Web/.test(r.path))).toEqual([]);
  }, 90_000);

  it("a package the feed swaps after it was verified is never deployed: the platform gets the verified bytes, from the app's container", async () => {
    // The scope reads are back, so a good release passes its heartbeat again.
    await world.sim("PUT", "rbac", { principal: APP_PRINCIPAL, scope: `/subscriptions/${SUB_A}`, actions: ["Microsoft.Compute/virtualMachines/read"] });
    const later = bump(4);
    const { packageUrl, sha256 } = feed.publish(later, { swapAfterFirstDownload: true });
    await until("the deployment", async () => (await deployments()).length === 4 && (await deployments())[3]!.sha256 !== undefined);
    const deployment = (await deployments())[3]!;
    expect(deployment.packageUri.startsWith(`${containerUrl()}/`)).toBe(true);
    expect(deployment.sha256).toBe(sha256); // what the platform fetched is what was verified, not the swapped bytes
    expect(feed.downloads.get(new URL(packageUrl).pathname)).toBe(1); // downloaded once: nothing fetched it again
    await until("the verdict", async () => (await attempts(later))[0]?.state === "Succeeded");
  }, 60_000);
});
