/**
 * AutoStop's re-sync timer, end to end (its real timer in the host): VMs created after the AutoStop body was posted get
 * their alert without anyone posting the body again. (Alerts of VMs that left the scope going is covered by
 * test/autostop/alert-sync.test.ts and the narrowing case of test/integration/autostop.test.ts: the timer runs the same sync.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";

let world: World;
beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet([{ subscriptionId: SUB_A, resourceGroup: "rg-grow", location: "westeurope", count: 5, powerState: "running", namePrefix: "g-" }]),
    timeScale: 10,
    settings: { LOCAL_HOST_DISABLE_TIMERS: "false", AUTOSTOP_SYNC_SCHEDULE: "*/2 * * * * *", WATCHDOG_SCHEDULE: "0 0 0 1 1 *", EVICTION_WATCH_SCHEDULE: "0 0 0 1 1 *" },
  });
});
afterAll(async () => world?.stop());

const watched = async () => (await world.sim<{ alerts: any[] }>("GET", "metricAlerts")).alerts.map((a) => String(a.scopes[0]).split("/").pop()).sort();

const eventually = (what: string, probe: () => Promise<boolean>) =>
  world.eventually(what, probe, { explain: async () => `alerts watch ${JSON.stringify(await watched())}` });

describe("AutoStopAlertSync", () => {
  it("gives VMs created later their alert", async () => {
    const res = await world.callFunction("POST", "AutoStop", { Action: "stop", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-grow/`] } });
    expect(res.status).toBe(202);
    await eventually("the first five alerts", async () => (await watched()).length === 5);

    // Two VMs are created in the group later.
    await world.sim("POST", "fleet?mode=add", {
      subscriptions: [{ subscriptionId: SUB_A, resourceGroups: [{ name: "rg-grow", location: "westeurope", vms: [{ name: "late-1", powerState: "running" }, { name: "late-2", powerState: "running" }] }] }],
    });
    await eventually("the new VMs' alerts", async () => (await watched()).includes("late-1") && (await watched()).includes("late-2"));
    expect(await watched()).toEqual(["g-0001", "g-0002", "g-0003", "g-0004", "g-0005", "late-1", "late-2"]);
  }, 60_000);
});
