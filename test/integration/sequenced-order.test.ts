/**
 * Sequenced runs keep their order, judged by the simulator: no VM of group k+1 gets its call before the
 * last VM of group k reached the target state; long sequences complete without timeouts while several
 * hosts race, and every group is released once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, SUB_B } from "../support/fleets";
import { callsPerVm, gapsBetweenGroups } from "../support/groupOrder";

describe("300 VMs in 3 groups", () => {
  let world: World;
  const tiers = [
    { prefix: "db-", start: "1", stop: "3", sub: SUB_A, rg: "rg-db", location: "westeurope" },
    { prefix: "app-", start: "2", stop: "2", sub: SUB_B, rg: "rg-app", location: "eastus" },
    { prefix: "web-", start: "3", stop: "1", sub: SUB_A, rg: "rg-web", location: "westeurope" },
  ];
  beforeAll(async () => {
    const fleet = generatedFleet(
      [
        ...tiers.map((t) => ({ subscriptionId: t.sub, resourceGroup: t.rg, location: t.location, count: 100, powerState: "deallocated", namePrefix: t.prefix, tags: { sequencestart: t.start, sequencestop: t.stop } })),
        { subscriptionId: SUB_B, resourceGroup: "rg-misc", location: "eastus", count: 5, powerState: "deallocated", namePrefix: "untagged-" },
      ],
      { start: { minSeconds: 20, maxSeconds: 90 }, deallocate: { minSeconds: 20, maxSeconds: 60 } },
    );
    world = await World.start({ fleet, timeScale: 30 });
  });
  afterAll(async () => world?.stop());

  const scopes = { Subscriptions: [`/subscriptions/${SUB_A}/`, `/subscriptions/${SUB_B}/`] };
  const names = (prefix: string) => Array.from({ length: 100 }, (_, i) => `${prefix}${String(i + 1).padStart(4, "0")}`);

  it("WhatIf shows the planned groups in order", async () => {
    const res = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, WhatIf: true, RequestScopes: scopes });
    expect(res.status).toBe(200);
    expect(res.body.sequence.tag).toBe("sequencestart");
    expect(res.body.sequence.groups.map((g: any) => [g.value, g.vms.length])).toEqual([[1, 100], [2, 100], [3, 100]]);
    expect(res.body.vms.filter((v: any) => v.name.startsWith("untagged-")).every((v: any) => v.plan === "Excluded" && /no sequencestart tag/.test(v.reason))).toBe(true);
  });

  it("start: group k+1 is called only after group k is running; untagged VMs are Skipped", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, RequestScopes: scopes });
    const status = await world.waitForRequest(accepted.body.requestId, 300_000);
    expect(status.state).toBe("Succeeded");
    expect(status.counts).toMatchObject({ total: 305, Succeeded: 300, Skipped: 5 });
    expect(status.sequence.groups.map((g: any) => [g.value, g.vms, g.state])).toEqual([[1, 100, "Succeeded"], [2, 100, "Succeeded"], [3, 100, "Succeeded"]]);
    const vms = await world.vms();
    const log = await world.armRequests();
    const gaps = gapsBetweenGroups([names("db-"), names("app-"), names("web-")], vms, log, "start");
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(0);
    expect(vms.filter((v) => v.name.startsWith("untagged-")).every((v) => v.powerState === "deallocated")).toBe(true);
  });

  it("stop uses sequencestop: web first, then app, then db", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "stop", Sequenced: true, RequestScopes: scopes });
    const status = await world.waitForRequest(accepted.body.requestId, 300_000);
    expect(status.state).toBe("Succeeded");
    const vms = await world.vms();
    const log = await world.armRequests();
    const gaps = gapsBetweenGroups([names("web-"), names("app-"), names("db-")], vms, log, "deallocate");
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(0);
    // The simulator's truth, not only our table: every VM of the three groups deallocated, each called once.
    const perVm = callsPerVm(log, "deallocate");
    for (const name of [...names("web-"), ...names("app-"), ...names("db-")]) {
      const vm = vms.find((v) => v.name === name)!;
      expect(vm.powerState).toBe("deallocated");
      expect(perVm.get(vm.id.toLowerCase())).toBe(1);
    }
  });
});

describe("50 groups of 20 VMs with 4 racing hosts", () => {
  let world: World;
  beforeAll(async () => {
    const groups = Array.from({ length: 50 }, (_, g) => ({
      subscriptionId: g % 2 ? SUB_B : SUB_A, resourceGroup: `rg-g${g}`, location: "westeurope", count: 20, powerState: "deallocated",
      namePrefix: `g${String(g).padStart(2, "0")}-`, tags: { sequencestart: String(g * 10) },
    }));
    world = await World.start({ fleet: generatedFleet(groups, { start: { minSeconds: 5, maxSeconds: 20 }, deallocate: { minSeconds: 5, maxSeconds: 20 } }), timeScale: 30, hosts: 4 });
  });
  afterAll(async () => world?.stop());

  it("completes every group in order, each released once, each VM called once", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", Sequenced: true, RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`, `/subscriptions/${SUB_B}/`] } });
    const status = await world.waitForRequest(accepted.body.requestId, 420_000);
    expect(status.state).toBe("Succeeded");
    expect(status.sequence.groups).toHaveLength(50);
    expect(status.sequence.groups.every((g: any) => g.state === "Succeeded" && g.vms === 20)).toBe(true);
    const log = await world.armRequests();
    const perVm = callsPerVm(log, "start");
    expect(perVm.size).toBe(1000);
    expect([...perVm.values()].every((n) => n === 1)).toBe(true);
    const groupNames = Array.from({ length: 50 }, (_, g) => Array.from({ length: 20 }, (_, i) => `g${String(g).padStart(2, "0")}-${String(i + 1).padStart(4, "0")}`));
    const gaps = gapsBetweenGroups(groupNames, await world.vms(), log, "start");
    expect(gaps).toHaveLength(49);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(0);
    // Released exactly once: each group's release time is recorded once and in order.
    const released = status.sequence.groups.map((g: any) => Date.parse(g.releasedAt));
    for (let i = 1; i < released.length; i++) expect(released[i]).toBeGreaterThanOrEqual(released[i - 1]);
  }, 600_000); // a hang guard only: generous, as the wait inside it (420 s) is
});
