import { describe, expect, it } from "vitest";
import { Clock } from "../../src/local/arm-simulator/clock";
import { Throttler, defaultLimits, mergeLimits } from "../../src/local/arm-simulator/buckets";
import { ArmSimulator } from "../../src/local/arm-simulator/simulator";
import { drawDurationSeconds } from "../../src/local/arm-simulator/fleet";
import { mulberry32 } from "../../src/local/arm-simulator/random";

function fakeReal(): { now: () => number; tick: (ms: number) => void } {
  let t = 0;
  return { now: () => t, tick: (ms) => (t += ms) };
}

describe("ARM simulator model (no HTTP)", () => {
  it("scales, rebases and advances simulated time", () => {
    const real = fakeReal();
    const clock = new Clock(60, 1_000_000, real.now);
    real.tick(1000);
    expect(clock.now()).toBe(1_060_000);
    clock.setTimeScale(1);
    real.tick(1000);
    expect(clock.now()).toBe(1_061_000);
    clock.advance(10);
    expect(clock.now()).toBe(1_071_000);
    clock.setTimeScale(10);
    expect(clock.toRealSeconds(25_000)).toBe(3);
    expect(clock.toRealSeconds(0)).toBe(1);
  });

  it("refills buckets continuously and consumes all-or-nothing", () => {
    const t = new Throttler(mergeLimits(defaultLimits(), { buckets: { vmUpdateVm: { burst: 1, refillPerSecond: 1 }, computeUpdateVm: { burst: 10, refillPerSecond: 0.0001 } } }));
    const checks = [
      { bucket: "computeUpdateVm" as const, key: "s|r" },
      { bucket: "vmUpdateVm" as const, key: "vm1" },
    ];
    expect(t.take(checks, 0)).toEqual({ ok: true, remaining: [9, 0] });
    const denied = t.take(checks, 500);
    expect(denied).toMatchObject({ ok: false, throttledBy: "vmUpdateVm", retryAfterMs: 500 });
    // the subscription bucket was not charged for the denied request
    expect(t.take(checks, 1000)).toMatchObject({ ok: true, remaining: [8, 0] });
    expect(() => mergeLimits(defaultLimits(), { buckets: { nope: { burst: 1 } } as never })).toThrow(/unknown bucket/);
  });

  it("lets deallocate preempt a start, refuses restart of a stopped VM and completes powerOff", () => {
    const sim = new ArmSimulator({ seed: 3 });
    sim.loadFleet({
      durations: { start: { minSeconds: 100, maxSeconds: 100 }, powerOff: { minSeconds: 10, maxSeconds: 10 } },
      subscriptions: [{ subscriptionId: "s", resourceGroups: [{ name: "rg", location: "westeurope", vms: [{ name: "a" }, { name: "b", powerState: "running" }] }] }],
    });
    const a = sim.vmById("/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/A")!;
    const start = sim.act(a, "start");
    expect(start.kind).toBe("accepted");
    const dealloc = sim.act(a, "deallocate");
    expect(dealloc.kind).toBe("accepted");
    expect(sim.controlView(a).powerState).toBe("deallocating");
    if (start.kind === "accepted") expect(start.op.error?.code).toBe("OperationPreempted");
    expect(sim.act(a, "restart").kind).toBe("conflict");

    const b = sim.vmById("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/b")!;
    expect(sim.act(b, "powerOff").kind).toBe("accepted");
    sim.clock.advance(10);
    expect(sim.controlView(b).powerState).toBe("stopped");
    expect(sim.act(b, "restart").kind).toBe("notAllowed");
    expect(sim.controlVms({ powerState: "stopped" }).map((v) => v.name)).toEqual(["b"]);
  });

  it("hibernates only a running VM with hibernation enabled, reports it Hibernated until it starts again", () => {
    const sim = new ArmSimulator({ seed: 3 });
    sim.loadFleet({
      durations: { hibernate: { minSeconds: 10, maxSeconds: 10 }, start: { minSeconds: 10, maxSeconds: 10 }, powerOff: { minSeconds: 10, maxSeconds: 10 } },
      subscriptions: [{ subscriptionId: "s", resourceGroups: [{ name: "rg", location: "westeurope", vms: [
        { name: "h", powerState: "running", hibernationEnabled: true }, { name: "n", powerState: "running" }, { name: "p", powerState: "running", hibernationEnabled: true },
      ] }] }],
    });
    const vm = (name: string) => sim.vmById(`/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`)!;
    expect(sim.act(vm("n"), "hibernate").kind).toBe("notAllowed");
    expect(sim.act(vm("h"), "hibernate").kind).toBe("accepted");
    expect(sim.act(vm("p"), "powerOff").kind).toBe("accepted");
    sim.clock.advance(10);
    expect(sim.controlView(vm("h"))).toMatchObject({ powerState: "deallocated", hibernated: true });
    expect(sim.act(vm("p"), "hibernate").kind).toBe("notAllowed"); // stopped: nothing running to hibernate
    expect(sim.act(vm("h"), "start").kind).toBe("accepted");
    sim.clock.advance(10);
    expect(sim.controlView(vm("h"))).toMatchObject({ powerState: "running", hibernated: false });
  });

  it("draws durations log-normally around medianSeconds, clipped to [min, max], reproducibly from the seed", () => {
    const range = { minSeconds: 30, maxSeconds: 180, medianSeconds: 60 };
    const draw = (seed: number) => {
      const rng = mulberry32(seed);
      return Array.from({ length: 20_000 }, () => drawDurationSeconds(range, rng));
    };
    const xs = draw(7);
    expect(draw(7)).toEqual(xs);
    expect(Math.min(...xs)).toBe(30);
    expect(Math.max(...xs)).toBeLessThanOrEqual(180);
    const sorted = [...xs].sort((a, b) => a - b);
    expect(sorted[10_000]).toBeGreaterThan(55);
    expect(sorted[10_000]).toBeLessThan(65);
    // Right-skewed: a few percent near the maximum, far fewer than a uniform draw would give.
    const slow = xs.filter((x) => x > 150).length / xs.length;
    expect(slow).toBeGreaterThan(0.005);
    expect(slow).toBeLessThan(0.05);
    // Without a median the draw stays uniform.
    const rng = mulberry32(7);
    const uniform = Array.from({ length: 20_000 }, () => drawDurationSeconds({ minSeconds: 30, maxSeconds: 180 }, rng));
    expect(uniform.filter((x) => x > 150).length / uniform.length).toBeGreaterThan(0.15);

    const sim = new ArmSimulator({ seed: 5 });
    sim.loadFleet({
      durations: { start: range },
      subscriptions: [{ subscriptionId: "s", resourceGroups: [{ name: "rg", location: "westeurope", generate: [{ namePrefix: "vm-", count: 200 }] }] }],
    });
    for (const vm of sim.controlVms()) sim.act(sim.vmById(vm.id)!, "start");
    sim.clock.advance(29);
    expect(sim.controlVms({ powerState: "running" })).toHaveLength(0);
    sim.clock.advance(151);
    expect(sim.controlVms({ powerState: "running" })).toHaveLength(200);
    expect(() => new ArmSimulator().loadFleet({ durations: { start: { minSeconds: 30, maxSeconds: 180, medianSeconds: 200 } } })).toThrow(/medianSeconds/);
  });
});
