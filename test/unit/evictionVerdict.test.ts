import { describe, expect, it } from "vitest";
import { explainStop, type VmActivity } from "../../src/platformEvents/evictionVerdict";

const since = new Date("2026-11-22T08:00:00Z");
const at = (minute: number) => new Date(since.getTime() + minute * 60_000);
const eviction = (minute: number): VmActivity => ({
  time: at(minute), category: "ResourceHealth", operationName: "Microsoft.Resourcehealth/healthevent/Activated/action",
  properties: { title: "Low priority machine preempted", cause: "PlatformInitiated" },
});
const stop = (minute: number, caller = "alice@contoso.com", status = "Succeeded"): VmActivity => ({
  time: at(minute), category: "Administrative", operationName: "Microsoft.Compute/virtualMachines/deallocate/action", caller, status,
});

describe("explainStop", () => {
  it("a platform-initiated health event is an eviction", () => {
    expect(explainStop([eviction(5)], since)).toMatchObject({ kind: "evicted", reason: "Low priority machine preempted", at: at(5) });
  });
  it("a person's deallocate after the eviction wins: they meant the VM to stay off", () => {
    expect(explainStop([eviction(5), stop(9)], since)).toMatchObject({ kind: "stoppedByCaller", caller: "alice@contoso.com" });
  });
  it("an eviction after a person's stop is still an eviction (the VM was started again in between)", () => {
    expect(explainStop([stop(1), eviction(30)], since)).toMatchObject({ kind: "evicted" });
  });
  it("records before the desired state was set, failed stops and user-initiated health events do not count", () => {
    const old = { ...eviction(0), time: new Date(since.getTime() - 1) };
    const userHealth = { ...eviction(3), properties: { title: "Stopped and deallocated", cause: "UserInitiated" } };
    expect(explainStop([old, stop(2, "bob", "Failed"), userHealth], since)).toMatchObject({ kind: "unknown" });
  });
});
