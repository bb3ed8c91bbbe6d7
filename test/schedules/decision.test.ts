/**
 * The pure decision, with AWS Instance Scheduler's meaning of enforced, retainRunning and stopNewVms. The
 * scenarios are translated from its integration tests (v3.2.8, source/app/tests/integration/): each describe names
 * the file. Its instances are played here by a VM power state that follows the actions decided.
 */
import { describe, expect, it } from "vitest";
import { decide, type StoredState, type VmPower } from "../../src/schedules/decision";
import type { Schedule } from "../../src/schedules/schedule";
import { quickTime, schedule, simple } from "./scheduleHelpers";

/** A VM under a schedule across evaluations: the decided action is applied to its power state. */
class Vm {
  stored?: StoredState;
  constructor(public power: VmPower) {}
  run(s: Schedule, at: Date) {
    const d = decide({ schedule: s, at, vm: this.power, stored: this.stored });
    if (d.action === "start") this.power = "running";
    if (d.action === "stop") this.power = "stopped";
    this.stored = d.stored;
    return d;
  }
}

describe("tests/integration/test_1_sided_schedules.py", () => {
  it("an enforced one-sided start takes no action before its start time", () => {
    const s = simple({ beginTime: "10:00" }, { enforced: true });
    const running = new Vm("running");
    const stopped = new Vm("stopped");
    for (const t of [quickTime(9, 50), quickTime(9, 55)]) {
      expect(running.run(s, t)).toMatchObject({ action: "none", desiredState: "unchanged" });
      stopped.run(s, t);
    }
    expect([running.power, stopped.power]).toEqual(["running", "stopped"]);
  });
  it("an enforced one-sided stop takes no action before its stop time", () => {
    const s = simple({ endTime: "20:00" }, { enforced: true });
    const running = new Vm("running");
    const stopped = new Vm("stopped");
    for (const t of [quickTime(9, 50), quickTime(9, 55)]) [running, stopped].forEach((v) => v.run(s, t));
    expect([running.power, stopped.power]).toEqual(["running", "stopped"]);
  });
  it("a one-sided stop stops at its stop time; a one-sided start starts at its start time", () => {
    const vm = new Vm("running");
    vm.run(simple({ endTime: "20:00" }), quickTime(19, 55));
    expect(vm.power).toBe("running");
    expect(vm.run(simple({ endTime: "20:00" }), quickTime(20, 0)).action).toBe("stop");
    const other = new Vm("stopped");
    other.run(simple({ beginTime: "10:00" }), quickTime(9, 55));
    expect(other.power).toBe("stopped");
    expect(other.run(simple({ beginTime: "10:00" }), quickTime(10, 0)).action).toBe("start");
  });
});

describe("tests/integration/test_retain_running_flag.py", () => {
  /** Stopped at 20:00 as usual, then started by hand, then found already running at 10:00. */
  function retainScenario(): Vm {
    const s = simple({ beginTime: "10:00", endTime: "20:00" }, { retainRunning: true });
    const vm = new Vm("running");
    vm.run(s, quickTime(20, 0));
    expect(vm.power).toBe("stopped");
    vm.power = "running"; // someone starts it by hand
    expect(vm.run(s, quickTime(10, 0))).toMatchObject({ action: "none", stored: "retain-running" });
    return vm;
  }
  it("test_instance_is_stopped_at_end_of_period_when_flag_is_not_set", () => {
    const vm = retainScenario();
    vm.run(simple({ beginTime: "10:00", endTime: "20:00" }, { retainRunning: false }), quickTime(20, 0));
    expect(vm.power).toBe("stopped");
  });
  it("test_instance_is_not_stopped_at_end_of_period_when_flag_is_set", () => {
    const vm = retainScenario();
    const d = vm.run(simple({ beginTime: "10:00", endTime: "20:00" }, { retainRunning: true }), quickTime(20, 0));
    expect(vm.power).toBe("running");
    expect(d.reason).toMatch(/retainRunning/);
  });
  it("test_retain_running_behavior_over_multiple_scheduling_cycles", () => {
    const vm = retainScenario();
    const on = simple({ beginTime: "10:00", endTime: "20:00" }, { retainRunning: true });
    const off = simple({ beginTime: "10:00", endTime: "20:00" }, { retainRunning: false });
    const seen: VmPower[] = [];
    for (const s of [on, on, off, off]) for (const h of [10, 20]) seen.push((vm.run(s, quickTime(h, 0)), vm.power));
    expect(seen).toEqual(["running", "running", "running", "running", "running", "stopped", "running", "stopped"]);
  });
  it("test_retain_running_schedules_start_and_stop_normally", () => {
    const s = simple({ beginTime: "10:00", endTime: "20:00" }, { retainRunning: true });
    const vm = new Vm("stopped");
    vm.run(s, quickTime(5, 0));
    const seen = [10, 20, 10, 20].map((h) => (vm.run(s, quickTime(h, 0)), vm.power));
    expect(seen).toEqual(["running", "stopped", "running", "stopped"]);
  });
});

describe("tests/integration/test_stop_new_instances_flag.py", () => {
  const s = (stopNewVms: boolean) => simple({ beginTime: "10:00", endTime: "20:00" }, { stopNewVms });
  it("test_new_instance_stops_when_outside_period_and_flag_is_set", () => {
    const vm = new Vm("running");
    expect(vm.run(s(true), quickTime(5, 0)).action).toBe("stop");
  });
  it("test_instance_does_not_stop_when_it_is_not_new", () => {
    const vm = new Vm("running");
    vm.run(s(true), quickTime(5, 0));
    vm.power = "running"; // started by hand
    expect(vm.run(s(true), quickTime(5, 0)).action).toBe("none");
  });
  it("test_new_instance_does_not_stop_when_outside_period_and_flag_is_not_set", () => {
    expect(new Vm("running").run(s(false), quickTime(5, 0))).toMatchObject({ action: "none", desiredState: "stopped" });
  });
  it("test_new_instance_does_not_stop_when_inside_period_and_flag_is_set", () => {
    expect(new Vm("running").run(s(true), quickTime(15, 0)).action).toBe("none");
  });
});

describe("our own rules on top", () => {
  const office = simple({ beginTime: "10:00", endTime: "20:00" });
  it("a manual stop inside a period is respected until the next transition", () => {
    const vm = new Vm("stopped");
    vm.run(office, quickTime(9, 0));
    vm.run(office, quickTime(10, 0));
    expect(vm.power).toBe("running");
    vm.power = "stopped"; // stopped by hand at noon
    expect(vm.run(office, quickTime(12, 0)).action).toBe("none");
    expect(vm.power).toBe("stopped");
  });
  it("enforced acts on every evaluation", () => {
    const enforced = simple({ beginTime: "10:00", endTime: "20:00" }, { enforced: true });
    const vm = new Vm("stopped");
    vm.run(enforced, quickTime(10, 0));
    vm.power = "stopped";
    expect(vm.run(enforced, quickTime(12, 0)).action).toBe("start");
  });
  it("a failed start is tried again while the period lasts", () => {
    expect(decide({ schedule: office, at: quickTime(11, 0), vm: "stopped", stored: "start-failed" }).action).toBe("start");
  });
  it("an override holds the VM against the schedule until it expires", () => {
    const override = { state: "running" as const, until: quickTime(22, 0), source: "POST /api/vms/{id}/override" };
    const held = decide({ schedule: office, at: quickTime(20, 0), vm: "running", stored: "running", override });
    expect(held).toMatchObject({ action: "none", desiredState: "stopped", stored: "running" });
    expect(held.reason).toMatch(/override/);
    const after = decide({ schedule: office, at: quickTime(22, 0), vm: "running", stored: held.stored, override });
    expect(after.action).toBe("stop");
  });
  it("on a holiday the VM is kept stopped, with the holiday named", () => {
    const s = schedule({ timezone: "Europe/Berlin", holidays: ["DE-BY", "2026-12-24"], periods: [{ beginTime: "08:00", endTime: "19:00", weekdays: "mon-fri" }] });
    const corpusChristi = decide({ schedule: s, at: new Date("2026-06-04T08:00:00Z"), vm: "stopped", stored: "stopped" });
    expect(corpusChristi).toMatchObject({ action: "none", desiredState: "stopped" });
    expect(corpusChristi.reason).toMatch(/DE-BY \(Fronleichnam\)/);
    expect(decide({ schedule: s, at: new Date("2026-12-24T09:00:00Z"), vm: "running", stored: "running" })).toMatchObject({ action: "stop" });
    expect(decide({ schedule: s, at: new Date("2026-06-05T08:00:00Z"), vm: "stopped", stored: "stopped" }).action).toBe("start");
  });
});
