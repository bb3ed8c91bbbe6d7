/**
 * Stop modes and Azure-managed capacity against the simulator, counted in its log of accepted calls (202s):
 * a hibernate where one VM cannot hibernate and one VM's hibernate fails (both deallocated instead, each saying
 * HibernateUnavailable with the platform's words); a powerOff (stopped, still billed, WhatIf warns) beside a VM whose
 * tag asks for a deallocate and a Flexible scale set's member; then a subscription-wide start that resumes the
 * hibernated VMs and sends no call at all to an AKS node pool's VMs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, type SimRequest } from "../../src/local/world";
import { SUB_A, rgId, vmIdOf } from "../support/fleets";

const AKS_RG = "MC_rg-k8s_aks1_westeurope";
const d = { minSeconds: 5, maxSeconds: 15 };
let world: World;
beforeAll(async () => {
  const running = (name: string, extra: object = {}) => ({ name, powerState: "running", ...extra });
  world = await World.start({
    timeScale: 10,
    fleet: {
      durations: { start: d, deallocate: d, hibernate: d, powerOff: d },
      subscriptions: [{
        subscriptionId: SUB_A,
        resourceGroups: [
          { name: "rg-hib", location: "westeurope", vms: [
            running("h-01", { hibernationEnabled: true }), running("h-02", { hibernationEnabled: true }), running("h-03", { hibernationEnabled: true }),
            running("h-04"), running("h-05", { hibernationEnabled: true }),
          ] },
          { name: "rg-off", location: "westeurope", vms: [
            running("p-01"), running("p-02"), running("p-03", { tags: { "startstop-stopmode": "deallocate" } }), running("f-01", { flexibleScaleSet: "vmss-flex" }),
          ] },
          { name: AKS_RG, location: "westeurope", vms: [
            { name: "aks-nodepool1-0", powerState: "deallocated", tags: { "aks-managed-poolName": "nodepool1" } },
            { name: "aks-nodepool1-1", powerState: "deallocated", tags: { "aks-managed-poolName": "nodepool1" } },
          ] },
          // An AKS node pool of VMs in a custom node resource group: a Flexible scale set whose members carry AKS's tags.
          { name: "rg-k8s-nodes", location: "westeurope", vms: [
            { name: "aksflex-0", powerState: "deallocated", flexibleScaleSet: "aks-flexpool", tags: { "aks-managed-poolName": "flexpool" } },
          ] },
        ],
      }],
    },
  });
});
afterAll(async () => world?.stop());

/** Accepted calls per VM name and operation, from the simulator's log. */
function accepted(log: SimRequest[], since = 0): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of log.slice(since)) {
    if (r.status !== 202 || !r.vmId || r.operation === "operationStatus") continue;
    const name = r.vmId.split("/").pop()!;
    out.set(name, [...(out.get(name) ?? []), r.operation!]);
  }
  return out;
}

async function run(body: object): Promise<{ status: any; outcomes: Map<string, any> }> {
  const res = await world.callFunction("POST", "Scheduled", body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const status = await world.waitForRequest(res.body.requestId);
  const outcomes = new Map((await world.allOutcomes(res.body.requestId)).map((v) => [v.name as string, v]));
  return { status, outcomes };
}

describe("stop modes and Azure-managed capacity", () => {
  it("hibernates what can, deallocates the rest with HibernateUnavailable; powers off; resumes; never touches AKS", async () => {
    const h05 = vmIdOf(SUB_A, "rg-hib", "h-05");
    await world.sim("POST", "faults", { match: { operation: "hibernate", vmIds: [h05] }, effect: { type: "operationFails", code: "HibernationFailed", message: "The guest OS did not acknowledge the hibernate request." }, count: 1 });

    // 1. hibernate
    const hib = await run({ Action: "stop", StopMode: "hibernate", RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-hib")] } });
    expect(hib.status.state).toBe("Succeeded");
    let log = await world.armRequests();
    const calls = accepted(log);
    for (const name of ["h-01", "h-02", "h-03"]) expect(calls.get(name), name).toEqual(["hibernate"]);
    expect(calls.get("h-04")).toEqual(["deallocate"]);
    expect(calls.get("h-05")).toEqual(["hibernate", "deallocate"]);
    const sim = new Map((await world.vms()).map((v) => [v.name, v]));
    for (const name of ["h-01", "h-02", "h-03"]) expect(sim.get(name)).toMatchObject({ powerState: "deallocated", hibernated: true });
    for (const name of ["h-04", "h-05"]) expect(sim.get(name)).toMatchObject({ powerState: "deallocated", hibernated: false });
    expect(hib.outcomes.get("h-01")).toMatchObject({ outcome: "Succeeded", powerAction: "hibernate", hibernated: true });
    expect(hib.outcomes.get("h-01").fallback).toBeUndefined();
    expect(hib.outcomes.get("h-04")).toMatchObject({ outcome: "Succeeded", powerAction: "deallocate", fallback: { code: "HibernateUnavailable", message: expect.stringContaining("not enabled") } });
    expect(hib.outcomes.get("h-05")).toMatchObject({ outcome: "Succeeded", powerAction: "deallocate", fallback: { code: "HibernateUnavailable", message: expect.stringContaining("did not acknowledge") } });

    // 2. WhatIf of a powerOff: each VM's plan, the Flexible member named, and the billing warning.
    const offScope = { ResourceGroups: [rgId(SUB_A, "rg-off")] };
    const whatIf = await world.callFunction("POST", "Scheduled", { Action: "stop", StopMode: "powerOff", WhatIf: true, RequestScopes: offScope });
    expect(whatIf.status).toBe(200);
    const plans = Object.fromEntries(whatIf.body.vms.map((v: any) => [v.name, v.plan]));
    expect(plans).toEqual({ "p-01": "WillPowerOff", "p-02": "WillPowerOff", "p-03": "WillDeallocate", "f-01": "WillPowerOff" });
    expect(whatIf.body.warnings).toEqual([expect.stringContaining("still charged")]);
    expect(whatIf.body.vms.find((v: any) => v.name === "f-01").kind).toBe("member of Flexible scale set vmss-flex");
    expect(whatIf.body.vms.find((v: any) => v.name === "p-03").warning).toBeUndefined();

    // 3. powerOff
    const before = log.length;
    const off = await run({ Action: "stop", StopMode: "powerOff", RequestScopes: offScope });
    expect(off.status.state).toBe("Succeeded");
    log = await world.armRequests();
    const offCalls = accepted(log, before);
    expect(Object.fromEntries(offCalls)).toEqual({ "p-01": ["powerOff"], "p-02": ["powerOff"], "p-03": ["deallocate"], "f-01": ["powerOff"] });
    const afterOff = new Map((await world.vms()).map((v) => [v.name, v.powerState]));
    expect(["p-01", "p-02", "f-01", "p-03"].map((n) => afterOff.get(n))).toEqual(["stopped", "stopped", "stopped", "deallocated"]);
    expect(off.outcomes.get("p-01")).toMatchObject({ powerState: "PowerState/stopped", warning: expect.stringContaining("still charged") });

    // 4. a subscription-wide start: everything of the user's runs again (hibernated VMs resume); AKS gets no call.
    const beforeStart = log.length;
    const start = await run({ Action: "start", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } });
    expect(start.status.state).toBe("Succeeded");
    log = await world.armRequests();
    const startCalls = accepted(log, beforeStart);
    for (const name of ["h-01", "h-02", "h-03", "h-04", "h-05", "p-01", "p-02", "p-03", "f-01"]) expect(startCalls.get(name), name).toEqual(["start"]);
    const final = new Map((await world.vms()).map((v) => [v.name, v]));
    for (const name of ["h-01", "h-02", "h-03"]) expect(final.get(name)).toMatchObject({ powerState: "running", hibernated: false });
    for (const name of ["aks-nodepool1-0", "aks-nodepool1-1", "aksflex-0"]) {
      expect(log.filter((r) => r.vmId?.toLowerCase().includes(`/virtualmachines/${name}`) && r.method === "POST"), name).toEqual([]);
      expect(final.get(name)!.powerState).toBe("deallocated");
      expect(start.outcomes.get(name)).toMatchObject({ outcome: "Skipped", note: expect.stringContaining("Azure Kubernetes Service") });
    }

    // 5. A Flexible scale set named in VMLists: WhatIf lists it with its members; the stop deallocates each member.
    const flex = `/subscriptions/${SUB_A}/resourceGroups/rg-off/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-flex`;
    const flexWhatIf = await world.callFunction("POST", "Scheduled", { Action: "stop", WhatIf: true, RequestScopes: { VMLists: [flex] } });
    expect(flexWhatIf.body.scaleSets).toEqual([{ id: expect.stringMatching(/vmss-flex$/), orchestrationMode: "Flexible", members: [{ name: "f-01", plan: "WillDeallocate" }] }]);
    const beforeFlex = log.length;
    const flexStop = await run({ Action: "stop", RequestScopes: { VMLists: [flex] } });
    expect(flexStop.status.state).toBe("Succeeded");
    log = await world.armRequests();
    expect(Object.fromEntries(accepted(log, beforeFlex))).toEqual({ "f-01": ["deallocate"] });
    expect((await world.vms()).find((v) => v.name === "f-01")!.powerState).toBe("deallocated");
    // Over the whole run, not one request reached an AKS-managed VM.
    expect(log.filter((r) => /aks-nodepool1-|aksflex-/.test(r.vmId ?? ""))).toEqual([]);
  });
});
