/**
 * Telemetry reaches Application Insights' ingestion endpoint (a local stand-in) through the real Azure Monitor
 * OpenTelemetry exporter: one RequestFinished custom event per finished request with the properties the deployment's
 * alert reads, trace lines carrying the request id, and the heartbeat's availability result and HeartBeatCheckFailed
 * events. Nothing sent contains the function key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_KEY, World, generatedFleet } from "../../src/local/world";
import { SUB_A, rgId } from "../support/fleets";

let world: World;
beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet([{ subscriptionId: SUB_A, resourceGroup: "rg-t", location: "westeurope", count: 6, powerState: "deallocated", namePrefix: "t-" }]),
    timeScale: 10,
    telemetryCollector: true,
    settings: {
      LOCAL_HOST_DISABLE_TIMERS: "false", HEARTBEAT_SCHEDULE: "*/2 * * * * *", TARGET_SCOPES: `/subscriptions/${SUB_A},/subscriptions/99999999-0000-4000-8000-000000000999`,
      WATCHDOG_SCHEDULE: "0 0 0 1 1 *", EVICTION_WATCH_SCHEDULE: "0 0 0 1 1 *", AUTOSTOP_SYNC_SCHEDULE: "0 0 0 1 1 *", APP_BASE_URL: "https://func-t.example.net",
    },
  });
  await world.sim("POST", "faults", { match: { operation: "start", namePattern: "t-0001" }, effect: { type: "http", status: 400, code: "OperationNotAllowed", message: "quota" } });
});
afterAll(async () => world?.stop());

const eventually = <T>(what: string, probe: () => T | undefined | false): Promise<T> =>
  world.eventually(what, probe, { everyMs: 300, explain: () => `received ${world.telemetry!.envelopes.length} envelope(s): ${JSON.stringify(world.telemetry!.envelopes.map((e) => e.data.baseType))}` });

describe("telemetry through the Azure Monitor exporter", () => {
  it("one RequestFinished event per finished request, with what the alert rule reads", async () => {
    const res = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-t")] } });
    expect((await world.waitForRequest(res.body.requestId, 60_000)).state).toBe("PartiallySucceeded");
    const finished = await eventually("the RequestFinished event", () => world.telemetry!.events("RequestFinished").filter((e) => e.properties.requestId === res.body.requestId).length > 0 && world.telemetry!.events("RequestFinished").filter((e) => e.properties.requestId === res.body.requestId));
    await new Promise((r) => setTimeout(r, 2000));
    expect(world.telemetry!.events("RequestFinished").filter((e) => e.properties.requestId === res.body.requestId)).toHaveLength(1);
    expect(finished[0]!.properties).toMatchObject({
      action: "start", state: "PartiallySucceeded", topErrorCodes: "OperationNotAllowed:1", statusUrl: `https://func-t.example.net/api/requests/${res.body.requestId}`,
    });
    expect(String(finished[0]!.properties.failed)).toBe("1");
    // The run's log lines are traces carrying its request id, and the VM's id where they are about one VM.
    const trace = await eventually("the failed VM's trace", () => world.telemetry!.envelopes.find((e) => e.data.baseType === "MessageData" && e.data.baseData.properties?.requestId === res.body.requestId));
    expect(trace.data.baseData.properties.vmId).toMatch(/\/virtualMachines\/t-0001$/);
    expect(trace.data.baseData.message).toMatch(/t-0001 failed with OperationNotAllowed/);
  }, 90_000);

  it("the heartbeat's availability result and a HeartBeatCheckFailed event naming the scope", async () => {
    const availability = await eventually("an availability result", () => world.telemetry!.envelopes.find((e) => e.data.baseType === "AvailabilityData"));
    expect(availability.data.baseData).toMatchObject({ name: "HeartBeatAvailabilityTest", success: false });
    const failed = await eventually("HeartBeatCheckFailed", () => world.telemetry!.events("HeartBeatCheckFailed").find((e) => e.properties.check === "scopeAccess"));
    expect(failed.properties.message).toContain("99999999-0000-4000-8000-000000000999");
  }, 60_000);

  it("nothing sent contains the function key", () => {
    expect(JSON.stringify(world.telemetry!.envelopes)).not.toContain(FUNCTION_KEY);
  });
});
