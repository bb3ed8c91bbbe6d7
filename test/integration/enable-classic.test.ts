/**
 * Migrated v2 Logic Apps send the v2 docs' VMLists body with "EnableClassic": true every morning: it must
 * run the VMs it names (judged by the simulator), while a classic VM id is still refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World } from "../../src/local/world";
import { SUB_A, SUB_C, smallFleet, vmIdOf } from "../support/fleets";

let world: World;
beforeAll(async () => {
  world = await World.start({ fleet: smallFleet() });
});
afterAll(async () => world?.stop());

// Shape of the v2 documentation's VMLists example: EnableClassic true, empty ExcludedVMLists, full VM ids.
const v2VmListsBody = {
  Action: "start",
  EnableClassic: true,
  RequestScopes: {
    ExcludedVMLists: [],
    VMLists: [vmIdOf(SUB_A, "rg-web", "web-01"), vmIdOf(SUB_C, "rg-c", "c-01")],
  },
};

describe("EnableClassic true (v2 docs' VMLists example)", () => {
  it("is accepted and starts exactly the listed VMs", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", v2VmListsBody);
    expect(accepted.status).toBe(202);
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("Succeeded");
    const running = (await world.vms()).filter((v) => v.powerState === "running").map((v) => v.name).sort();
    expect(running).toEqual(["azure-db-02", "c-01", "web-01"]); // azure-db-02 was running before
    const started = (await world.armRequests()).filter((r) => r.operation === "start").map((r) => r.vmId!.split("/").pop()).sort();
    expect(started).toEqual(["c-01", "web-01"]);
  });

  it("a classic VM id is refused with a 400 that names it, and nothing is acted on", async () => {
    const classic = vmIdOf(SUB_A, "rg-web", "web-02").replace("Microsoft.Compute", "Microsoft.ClassicCompute");
    const before = (await world.armRequests()).filter((r) => r.method === "POST").length;
    const res = await world.callFunction("POST", "Scheduled", {
      ...v2VmListsBody,
      RequestScopes: { VMLists: [vmIdOf(SUB_A, "rg-web", "web-02"), classic] },
    });
    expect(res.status).toBe(400);
    const problem = res.body.errors.find((e: any) => e.field === "RequestScopes.VMLists[1]");
    expect(problem?.message).toContain(classic);
    expect((await world.armRequests()).filter((r) => r.method === "POST").length).toBe(before);
    expect((await world.vms()).find((v) => v.name === "web-02")?.powerState).toBe("deallocated");
  });
});
