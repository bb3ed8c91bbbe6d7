import { describe, expect, it } from "vitest";
import { countStatuses, summarizeRun, type VmRunStatus } from "../../src/domain/runState";
import { judgeActingVm } from "../../src/domain/verification";
import { powerStateFromStatusCodes, isInTransitionToTarget } from "../../src/domain/power";
import { targetPowerState } from "../../src/targets/powerAction";

const state = (statuses: VmRunStatus[], scopeErrors = 0) => summarizeRun(true, countStatuses(statuses), scopeErrors);

describe("summarizeRun", () => {
  it("is Accepted before expansion and Running while any VM is open", () => {
    expect(summarizeRun(false, countStatuses([]), 0)).toBe("Accepted");
    expect(state(["Succeeded", "Acting"])).toBe("Running");
    expect(state(["Succeeded", "Waiting"])).toBe("Running");
    expect(state(["Pending"])).toBe("Running");
  });
  it("is Succeeded when every VM reached the target or was skipped", () => {
    expect(state(["Succeeded", "AlreadyInState", "Skipped"])).toBe("Succeeded");
    expect(state([])).toBe("Succeeded");
  });
  it("is PartiallySucceeded with some failures and Failed with no success", () => {
    expect(state(["Succeeded", "Failed"])).toBe("PartiallySucceeded");
    expect(state(["Failed", "Skipped"])).toBe("Failed");
    expect(state(["Succeeded"], 1)).toBe("PartiallySucceeded");
    expect(state([], 1)).toBe("Failed");
  });
});

describe("power rules", () => {
  it("stop means deallocated, and reads PowerState from instance-view codes", () => {
    expect(targetPowerState("deallocate")).toBe("deallocated");
    expect(powerStateFromStatusCodes(["ProvisioningState/succeeded", "PowerState/Running"])).toBe("running");
    expect(powerStateFromStatusCodes(["ProvisioningState/succeeded"])).toBeUndefined();
    expect(isInTransitionToTarget("start", "starting")).toBe(true);
    expect(isInTransitionToTarget("deallocate", "stopping")).toBe(false);
  });
});

describe("judgeActingVm", () => {
  const actedAt = new Date("2026-01-05T08:00:00Z");
  const deadline = new Date("2026-01-05T10:00:00Z");
  const base = { action: "start" as const, actedAt, deadline, now: new Date("2026-01-05T08:01:00Z") };
  it("reports reached, gone and still going", () => {
    expect(judgeActingVm({ ...base, observed: { powerState: "running" } })).toEqual({ kind: "reached", powerState: "running", hibernated: false });
    expect(judgeActingVm({ ...base, observed: undefined })).toEqual({ kind: "gone" });
    expect(judgeActingVm({ ...base, observed: { powerState: "starting" } })).toEqual({ kind: "stillGoing" });
  });
  it("attributes a provisioning failure only when it is newer than our call", () => {
    const old = { code: "AllocationFailed", message: "x", time: new Date("2026-01-05T07:00:00Z") };
    const fresh = { ...old, time: new Date("2026-01-05T08:00:30Z") };
    expect(judgeActingVm({ ...base, observed: { powerState: "deallocated", provisioningFailure: old } }).kind).toBe("stillGoing");
    expect(judgeActingVm({ ...base, observed: { powerState: "deallocated", provisioningFailure: fresh } })).toMatchObject({ kind: "operationFailed", failure: { code: "AllocationFailed" } });
  });
  it("explains a missed deadline with the last power state seen", () => {
    const v = judgeActingVm({ ...base, now: deadline, observed: { powerState: "starting" } });
    expect(v.kind).toBe("deadlinePassed");
    if (v.kind === "deadlinePassed") expect(v.message).toMatch(/PowerState\/running.*last seen in PowerState\/starting/);
  });
});
