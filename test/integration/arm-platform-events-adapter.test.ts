/**
 * The platform-events adapter against the simulator over HTTPS with the official Monitor and Resource Health clients:
 * a Spot eviction reads as an eviction, a person's deallocate as that person's stop, and failures keep their codes.
 */
import { appClock } from "../../src/adapters/clock";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startArmSimulator, type RunningArmSimulator } from "../../src/local/arm-simulator";
import { ArmPlatformEventsGateway } from "../../src/adapters/armPlatformEvents";
import { simulatorCredential } from "../../src/adapters/credentials";
import { ArmRequestError } from "../../src/domain/armError";
import { explainStop } from "../../src/platformEvents/evictionVerdict";
import { requestJson } from "../../src/local/httpsJson";
import { SUB_A } from "../support/fleets";

let sim: RunningArmSimulator;
let gateway: ArmPlatformEventsGateway;
const fleet = {
  durations: { start: { minSeconds: 1, maxSeconds: 1 }, deallocate: { minSeconds: 1, maxSeconds: 1 } },
  subscriptions: [{ subscriptionId: SUB_A, resourceGroups: [{ name: "rg-spot", location: "westeurope", generate: [{ namePrefix: "spot-", count: 3, powerState: "running", priority: "Spot", evictionPolicy: "Deallocate" }] }] }],
};
beforeAll(async () => {
  sim = await startArmSimulator({ fleet: fleet as never, timeScale: 10 });
  const ca = path.join(mkdtempSync(path.join(tmpdir(), "ssv-adapter-")), "ca.pem");
  writeFileSync(ca, sim.caCertPem);
  gateway = new ArmPlatformEventsGateway({ endpoint: sim.url, credential: simulatorCredential(sim.url), caCertPath: ca, clock: appClock({ scale: 10, simAnchorMs: Date.now(), realAnchorMs: Date.now() }) });
});
afterAll(async () => sim?.close());

const vm = (name: string) => ({ subscriptionId: SUB_A, resourceGroup: "rg-spot", name });

describe("ArmPlatformEventsGateway", () => {
  it("reads an eviction and a person's stop from the Activity Log and Resource Health", async () => {
    const since = new Date(sim.simulator.now());
    await requestJson(`${sim.url}/_sim/evictions`, { method: "POST", ca: sim.caCertPem, body: { namePattern: "spot-0001" } });
    const stop = await requestJson(`${sim.url}/subscriptions/${SUB_A}/resourceGroups/rg-spot/providers/Microsoft.Compute/virtualMachines/spot-0002/deallocate?api-version=2024-07-01`, {
      method: "POST", ca: sim.caCertPem, headers: { authorization: "Bearer someone-elses-token" },
    });
    expect(stop.status).toBe(202);
    await new Promise((r) => setTimeout(r, 400));
    const until = new Date(sim.simulator.now() + 1000);
    expect(explainStop(await gateway.vmActivity(vm("spot-0001"), since, until), since)).toMatchObject({ kind: "evicted", reason: "Low priority machine preempted" });
    expect(explainStop(await gateway.vmActivity(vm("spot-0002"), since, until), since)).toMatchObject({ kind: "stoppedByCaller" });
    expect(explainStop(await gateway.vmActivity(vm("spot-0003"), since, until), since)).toMatchObject({ kind: "unknown" });
    expect(await gateway.vmAvailability(vm("spot-0001"))).toMatchObject({ state: "Unavailable", context: "Platform Initiated" });
    expect(await gateway.vmAvailability(vm("spot-0003"))).toMatchObject({ state: "Available" });
    // One list call per VM read, no hidden retries.
    const reads = sim.simulator.log.since(0).requests.filter((r) => r.operation === "activityLog");
    expect(reads).toHaveLength(3);
  });

  it("converts failures (throttling, missing rights) into ArmRequestError with ARM's code", async () => {
    await requestJson(`${sim.url}/_sim/faults`, { method: "POST", ca: sim.caCertPem, body: { match: { operation: "activityLog" }, effect: { type: "http", status: 429, code: "SubscriptionRequestsThrottled", retryAfterSeconds: 3 }, count: 1 } });
    const error = await gateway.vmActivity(vm("spot-0003"), new Date(0), new Date()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArmRequestError);
    expect((error as ArmRequestError).failure).toMatchObject({ status: 429, code: "SubscriptionRequestsThrottled" });
  });
});
