/**
 * The simulator's Activity Log and Resource Health: a Spot eviction leaves the two ResourceHealth records Azure writes
 * (cause PlatformInitiated), a person's deallocate leaves Administrative records naming the caller, and
 * availabilityStatuses/current tells a platform eviction from a user's stop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestJson } from "../../src/local/httpsJson";
import { startArmSimulator, type FleetSpec } from "../../src/local/arm-simulator/index";
import { principalOf } from "../../src/local/arm-simulator/principal";

const SUB = "11111111-1111-4111-8111-111111111111";
const fleet: FleetSpec = {
  durations: { start: { minSeconds: 2, maxSeconds: 2 }, deallocate: { minSeconds: 2, maxSeconds: 2 } },
  subscriptions: [{
    subscriptionId: SUB,
    resourceGroups: [
      { name: "rg-spot", location: "westeurope", generate: [{ namePrefix: "spot-", count: 6, powerState: "running", priority: "Spot", evictionPolicy: "Deallocate" }] },
      { name: "rg-spot-us", location: "eastus", generate: [{ namePrefix: "spotus-", count: 2, powerState: "running", priority: "Spot", evictionPolicy: "Deallocate" }] },
      { name: "rg-reg", location: "westeurope", vms: [{ name: "reg-01", powerState: "running" }] },
    ],
  }],
};

let sim: Awaited<ReturnType<typeof startArmSimulator>>;
beforeAll(async () => {
  sim = await startArmSimulator({ fleet, timeScale: 10 });
});
afterAll(async () => sim?.close());

const arm = (method: string, path: string, token = "app-token") =>
  requestJson(`${sim.url}${path}`, { method, ca: sim.caCertPem, headers: { authorization: `Bearer ${token}` } });
const vmPath = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

describe("Activity Log and Resource Health", () => {
  it("records evictions as the platform's and a person's deallocate as that person's, and tells them apart", async () => {
    const from = new Date(sim.simulator.now()).toISOString();
    const storm = await requestJson(`${sim.url}/_sim/evictions`, { method: "POST", ca: sim.caCertPem, body: { region: "westeurope", count: 3 } });
    expect(storm.body.evicted).toHaveLength(3); // a regional storm: only Spot VMs in westeurope, at most 3
    expect(storm.body.evicted.every((id: string) => /\/spot-\d+$/.test(id))).toBe(true);
    const userStop = await arm("POST", `${vmPath("rg-spot", "spot-0006")}/deallocate?api-version=2024-07-01`, "alice-token");
    expect(userStop.status).toBe(202);
    await new Promise((r) => setTimeout(r, 600)); // 6 simulated seconds: every operation has ended

    const to = new Date(sim.simulator.now() + 1000).toISOString();
    const filter = encodeURIComponent(`eventTimestamp ge '${from}' and eventTimestamp le '${to}'`);
    const log = await arm("GET", `/subscriptions/${SUB}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$filter=${filter}`);
    expect(log.status).toBe(200);
    const health = log.body.value.filter((e: any) => e.category.value === "ResourceHealth");
    expect(health).toHaveLength(6); // two per eviction: Informational, then Critical
    for (const id of storm.body.evicted) {
      const records = health.filter((e: any) => e.resourceId === id);
      expect(records.map((e: any) => e.level)).toEqual(["Informational", "Critical"]);
      expect(records[0].properties).toMatchObject({ title: "Low priority machine preempted", cause: "PlatformInitiated", currentHealthStatus: "Unavailable" });
      expect(records[0].operationName.value).toBe("Microsoft.Resourcehealth/healthevent/Activated/action");
    }
    const admin = log.body.value.filter((e: any) => e.category.value === "Administrative");
    expect(admin.map((e: any) => e.status.value)).toEqual(["Started", "Succeeded"]);
    expect(admin[0]).toMatchObject({ caller: principalOf("alice-token"), operationName: { value: "Microsoft.Compute/virtualMachines/deallocate/action" } });

    const status = async (rg: string, name: string) =>
      (await arm("GET", `${vmPath(rg, name)}/providers/Microsoft.ResourceHealth/availabilityStatuses/current?api-version=2025-04-01`)).body.properties;
    const evictedName = storm.body.evicted[0].split("/").pop();
    expect(await status("rg-spot", evictedName)).toMatchObject({ availabilityState: "Unavailable", context: "Platform Initiated", reasonType: "Unplanned" });
    expect(await status("rg-spot", "spot-0006")).toMatchObject({ availabilityState: "Unavailable", reasonType: "UserInitiated" });
    expect(await status("rg-reg", "reg-01")).toMatchObject({ availabilityState: "Available" });
    // Only the requested filters are accepted, as the Activity Log API does.
    const resourceFilter = encodeURIComponent(`eventTimestamp ge '${from}' and resourceUri eq '${vmPath("rg-spot", "spot-0006")}'`);
    const one = await arm("GET", `/subscriptions/${SUB}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$filter=${resourceFilter}`);
    expect(one.body.value).toHaveLength(2);
    const bad = await arm("GET", `/subscriptions/${SUB}/providers/microsoft.insights/eventtypes/management/values?api-version=2015-04-01&$filter=${encodeURIComponent("level eq 'Critical'")}`);
    expect(bad.status).toBe(400);
  });
});
