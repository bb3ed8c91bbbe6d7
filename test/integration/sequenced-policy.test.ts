/**
 * What a Sequenced run does when a group fails (halt by default, carry on with ContinueOnError), the delay
 * between groups, bad tag values, and a host crash between two groups.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "../support/fleets";
import { callsPerVm, gapsBetweenGroups } from "../support/groupOrder";

let world: World;
const fleet = (extraVms: object[] = []) => {
  const f = generatedFleet(
    [1, 2, 3].map((g) => ({ subscriptionId: SUB_A, resourceGroup: `rg-tier${g}`, location: "westeurope", count: 10, powerState: "deallocated", namePrefix: `t${g}-`, tags: { sequencestart: String(g) } })),
    { start: { minSeconds: 1, maxSeconds: 3 }, deallocate: { minSeconds: 1, maxSeconds: 3 } },
  );
  f.subscriptions[0]!.resourceGroups.push({ name: "rg-odd", location: "westeurope", vms: extraVms, generate: [] } as never);
  return f;
};
const names = (g: number) => Array.from({ length: 10 }, (_, i) => `t${g}-${String(i + 1).padStart(4, "0")}`);
const tierScopes = { ResourceGroups: [1, 2, 3].map((g) => `/subscriptions/${SUB_A}/resourceGroups/rg-tier${g}/`) };

beforeAll(async () => {
  world = await World.start({ fleet: fleet() });
});
afterAll(async () => world?.stop());
beforeEach(async () => {
  await world.sim("POST", "fleet?mode=replace", fleet());
  await world.sim("DELETE", "faults");
  await world.sim("DELETE", "requests");
});

async function forbid(vmName: string) {
  const vm = (await world.vms()).find((v) => v.name === vmName)!;
  await world.sim("POST", "faults", { match: { operation: "start", vmIds: [vm.id] }, effect: { type: "http", status: 403, code: "AuthorizationFailed", message: "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachines/start/action'." } });
  return vm.id;
}

describe("failure policy", () => {
  it("halts by default: later groups NotStarted, request Failed naming the VM and why", async () => {
    const badId = await forbid("t2-0004");
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, RequestScopes: tierScopes });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("Failed");
    expect(status.message).toContain("t2-0004");
    expect(status.message).toContain("AuthorizationFailed");
    expect(status.sequence.haltedBy).toMatchObject({ group: 2, code: "AuthorizationFailed" });
    expect(status.sequence.haltedBy.vmId.toLowerCase()).toBe(badId.toLowerCase());
    expect(status.sequence.groups.map((g: any) => g.state)).toEqual(["Succeeded", "Failed", "NotStarted"]);
    expect(status.counts).toMatchObject({ Succeeded: 19, Failed: 1, NotStarted: 10 });
    const notStarted = (await world.callFunction("GET", `requests/${accepted.body.requestId}?outcome=NotStarted`)).body.vms;
    expect(notStarted.map((v: any) => v.name).sort()).toEqual(names(3));
    expect(notStarted[0].note).toMatch(/group 2.*AuthorizationFailed.*ContinueOnError/);
    // The simulator confirms: group 3 never received a call and is still deallocated.
    const calls = callsPerVm(await world.armRequests(), "start");
    const vms = await world.vms();
    for (const name of names(3)) {
      const vm = vms.find((v) => v.name === name)!;
      expect(calls.get(vm.id.toLowerCase())).toBeUndefined();
      expect(vm.powerState).toBe("deallocated");
    }
  });

  it("ContinueOnError carries on: group 3 runs, request PartiallySucceeded", async () => {
    await forbid("t2-0004");
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, ContinueOnError: true, RequestScopes: tierScopes });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("PartiallySucceeded");
    expect(status.counts).toMatchObject({ Succeeded: 29, Failed: 1, NotStarted: 0 });
    expect(status.sequence.groups.map((g: any) => g.state)).toEqual(["Succeeded", "Failed", "Succeeded"]);
    const running = (await world.vms()).filter((v) => v.powerState === "running").map((v) => v.name);
    expect(running).toEqual(expect.arrayContaining(names(3)));
  });

  it("SequenceDelaySeconds waits between a group's completion and the next release", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, SequenceDelaySeconds: 6, RequestScopes: tierScopes });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("Succeeded");
    const gaps = gapsBetweenGroups([names(1), names(2), names(3)], await world.vms(), await world.armRequests(), "start");
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(6_000); // timeScale 1: simulated ms = real ms
  });

  it("bad tag values fail that VM with a clear reason and never crash the request", async () => {
    await world.sim("POST", "fleet?mode=replace", fleet([
      { name: "odd-text", powerState: "deallocated", tags: { sequencestart: "first" } },
      { name: "odd-negative", powerState: "deallocated", tags: { SequenceStart: "-1" } },
      { name: "odd-ok", powerState: "deallocated", tags: { SEQUENCESTART: "7" } },
    ]));
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-odd/`] } });
    const status = await world.waitForRequest(accepted.body.requestId);
    expect(status.state).toBe("PartiallySucceeded");
    const outcomes = Object.fromEntries((await world.allOutcomes(accepted.body.requestId)).map((o) => [o.name, o]));
    expect(outcomes["odd-text"]).toMatchObject({ outcome: "Failed", errorCode: "InvalidSequenceTag" });
    expect(outcomes["odd-text"].errorMessage).toMatch(/"first".*non-negative integer/);
    expect(outcomes["odd-negative"]).toMatchObject({ outcome: "Failed", errorCode: "InvalidSequenceTag" });
    expect(outcomes["odd-ok"]).toMatchObject({ outcome: "Succeeded", group: 7 });
    // The simulator's truth: only the well-tagged VM was called and runs; the others were never touched.
    const vms = await world.vms();
    const calls = callsPerVm(await world.armRequests(), "start");
    for (const [name, state, called] of [["odd-ok", "running", 1], ["odd-text", "deallocated", undefined], ["odd-negative", "deallocated", undefined]] as const) {
      const vm = vms.find((v) => v.name === name)!;
      expect(vm.powerState).toBe(state);
      expect(calls.get(vm.id.toLowerCase())).toBe(called);
    }
  });
});

describe("crash between groups", () => {
  it("resumes at the right group after SIGKILL; nothing released twice", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, RequestScopes: tierScopes });
    await world.eventually("group 1 to be running", async () => {
      const vms = await world.vms();
      return names(1).every((n) => vms.find((v) => v.name === n)!.powerState === "running");
    }, { everyMs: 100 });
    await world.killHosts(); // group 1 just finished: the release of group 2 is due now
    await world.startHost();
    const status = await world.waitForRequest(accepted.body.requestId, 120_000);
    expect(status.state).toBe("Succeeded");
    const log = await world.armRequests();
    const perVm = callsPerVm(log, "start");
    expect(perVm.size).toBe(30);
    for (const name of [...names(2), ...names(3)]) {
      const id = (await world.vms()).find((v) => v.name === name)!.id.toLowerCase();
      expect(perVm.get(id)).toBe(1); // released once, called once
    }
    const gaps = gapsBetweenGroups([names(1), names(2), names(3)], await world.vms(), log, "start");
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(0);
  });
});
