/**
 * The heartbeat end to end (its real timer in the host): every check passes in a healthy world, and each failure is
 * named and recovers when its cause goes: a scope whose identity lost read rights, a message in a poison queue, a
 * request stuck past its deadline, and storage answering 503. GET /api/health returns the last result, 401 without a key.
 */
import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_PRINCIPAL, World, generatedFleet } from "../../src/local/world";
import { SUB_A, SUB_B, rgId } from "../support/fleets";

let world: World;
const RG_B = rgId(SUB_B, "rg-b").replace(/\/$/, "");

beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet(
      [
        { subscriptionId: SUB_A, resourceGroup: "rg-a", location: "westeurope", count: 5, powerState: "deallocated", namePrefix: "a-" },
        { subscriptionId: SUB_B, resourceGroup: "rg-b", location: "westeurope", count: 5, powerState: "deallocated", namePrefix: "b-" },
      ],
      { start: { minSeconds: 3000, maxSeconds: 3600 }, deallocate: { minSeconds: 10, maxSeconds: 20 } },
    ),
    timeScale: 30,
    storageFaults: true,
    settings: {
      LOCAL_HOST_DISABLE_TIMERS: "false",
      HEARTBEAT_SCHEDULE: "*/1 * * * * *",
      TARGET_SCOPES: `/subscriptions/${SUB_A},${RG_B}`,
      OVERDUE_GRACE_MINUTES: "0",
      // The watchdog runs, but ends a run only once its messages have been stalled for STALL_GRACE (15 s real): in
      // between, the request is stuck past its deadline, which the heartbeat must name.
      WATCHDOG_SCHEDULE: "*/1 * * * * *",
      EVICTION_WATCH_SCHEDULE: "0 0 0 1 1 *",
      AUTOSTOP_SYNC_SCHEDULE: "0 0 0 1 1 *",
    },
  });
});
afterAll(async () => world?.stop());

type Check = { name: string; ok: boolean; message: string; fix?: string };

/** Polls /api/health until `accept` holds for the checks of a result newer than `after`. */
async function healthUntil(what: string, accept: (checks: Check[]) => boolean, after = Date.now()): Promise<{ status: number; body: any }> {
  let last: any;
  return world.eventually(`health to show ${what}`, async () => {
    const res = await world.callFunction("GET", "health");
    last = res;
    return res.body?.checks && Date.parse(res.body.checkedAt) >= after - 2000 && accept(res.body.checks) ? res : undefined;
  }, { everyMs: 300, explain: () => JSON.stringify(last?.body).slice(0, 1500) });
}
const check = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;
const allOk = (checks: Check[]) => checks.every((c) => c.ok);

describe("HeartBeatAvailabilityTest and GET /api/health", () => {
  it("passes every check in a healthy world; /api/health needs the key", async () => {
    const res = await healthUntil("every check passing", allOk);
    expect(res.status).toBe(200);
    expect(res.body.checks.map((c: Check) => c.name).sort()).toEqual(["overdueRequests", "poisonQueues", "scopeAccess", "storage", "version"]);
    expect(check(res.body.checks, "version").message).toMatch(/^running \d+\.\d+\.\d+/);
    const anonymous = await fetch(`${world.hostUrl}/api/health`);
    expect(anonymous.status).toBe(401);
  });

  it("names a scope whose identity cannot read VMs, with the fix, and recovers when the role is back", async () => {
    await world.sim("PUT", "rbac", { principal: APP_PRINCIPAL, scope: `/subscriptions/${SUB_A}`, actions: ["*"] });
    const broken = await healthUntil("scopeAccess failing", (c) => !check(c, "scopeAccess").ok);
    expect(broken.status).toBe(503);
    const scope = check(broken.body.checks, "scopeAccess");
    expect(scope.message).toContain(RG_B);
    expect(scope.message).toMatch(/AuthorizationFailed/);
    expect(scope.message).not.toContain(`/subscriptions/${SUB_A} (`);
    expect(scope.fix).toMatch(/assign the operator role/);
    expect(world.hostLogs().some((l) => l.includes('"name":"HeartBeatCheckFailed"') && l.includes('"check":"scopeAccess"'))).toBe(true);
    await world.sim("DELETE", "rbac");
    await healthUntil("scopeAccess passing again", (c) => check(c, "scopeAccess").ok);
  });

  it("names a message left in a poison queue, and recovers when it is gone", async () => {
    const queues = QueueServiceClient.fromConnectionString(world.azurite.connectionString);
    const poison = queues.getQueueClient("execution-request-poison");
    await poison.createIfNotExists();
    await poison.sendMessage(Buffer.from(JSON.stringify({ type: "act", requestId: "lost" })).toString("base64"));
    const broken = await healthUntil("poisonQueues failing", (c) => !check(c, "poisonQueues").ok);
    expect(check(broken.body.checks, "poisonQueues").message).toMatch(/1 message\(s\) in execution-request-poison/);
    await poison.clearMessages();
    await healthUntil("poisonQueues passing again", (c) => check(c, "poisonQueues").ok);
  });

  it("names a request stuck past its deadline, and recovers once it is ended", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", DeadlineMinutes: 5, RequestScopes: { ResourceGroups: [`${rgId(SUB_A, "rg-a")}`] } });
    expect(accepted.status).toBe(202);
    // Every message of the run is lost (as when they are poisoned): nothing ends it until the watchdog steps in.
    await world.eventually("5 starts", async () => (await world.armRequests()).filter((r) => r.operation === "start").length >= 5, { everyMs: 100 });
    await world.loseQueueMessages("execution-request");
    const stuck = await healthUntil("overdueRequests failing", (c) => !check(c, "overdueRequests").ok);
    expect(check(stuck.body.checks, "overdueRequests").message).toContain(accepted.body.requestId);
    // The watchdog ends it at its deadline; the check passes again.
    const ended = await world.waitForRequest(accepted.body.requestId, 60_000);
    expect(ended.state).toBe("Failed");
    await healthUntil("overdueRequests passing again", (c) => check(c, "overdueRequests").ok);
  }, 300_000); // a hang guard only: each wait inside has its own cap and says what never happened

  it("names storage answering 503, and recovers when it answers again", async () => {
    const before = world.hostLogs().filter((l) => l.includes('"check":"storage"')).length;
    world.injectStorageOutage("serverBusy", 6, { services: ["queue", "table"] });
    const storageFailures = () => world.hostLogs().filter((l) => l.includes('"name":"HeartBeatCheckFailed"') && l.includes('"check":"storage"'));
    const failed = await world.eventually("a HeartBeatCheckFailed event for storage", () => storageFailures().length > before && storageFailures(), { everyMs: 200 });
    expect(failed.at(-1)).toMatch(/503|ServerBusy/);
    await healthUntil("storage passing again", (c) => check(c, "storage").ok, Date.now() + 6000);
  }, 60_000);
});
