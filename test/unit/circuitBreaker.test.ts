import { describe, expect, it } from "vitest";
import { CircuitBreakers } from "../../src/domain/circuitBreaker";

const settings = { failureThreshold: 3, openSeconds: 60, maxOpenSeconds: 240, probeTimeoutSeconds: 300, probeWaitSeconds: 30 };
const windows = CircuitBreakers.key("sub", "westeurope", "Windows");
const linux = CircuitBreakers.key("sub", "westeurope", "Linux");

describe("CircuitBreakers", () => {
  it("opens after consecutive failures, only for that failure domain", () => {
    const b = new CircuitBreakers(settings);
    for (let i = 0; i < 3; i++) b.recordFailure(windows, 0);
    expect(b.admit(windows, 1000)).toEqual({ allowed: false, retryInSeconds: 59 + 30 });
    expect(b.admit(linux, 1000)).toEqual({ allowed: true, probe: false });
  });

  it("lets one probe through after the open period; a failed probe doubles the wait (capped)", () => {
    const b = new CircuitBreakers(settings);
    for (let i = 0; i < 3; i++) b.recordFailure(windows, 0);
    expect(b.admit(windows, 60_000)).toEqual({ allowed: true, probe: true });
    expect(b.admit(windows, 60_001)).toEqual({ allowed: false, retryInSeconds: 60 }); // one probe at a time; others come back after a verdict
    b.recordFailure(windows, 70_000);
    expect(b.admit(windows, 70_000)).toEqual({ allowed: false, retryInSeconds: 120 + 30 });
    expect(b.admit(windows, 190_000).allowed).toBe(true);
    b.recordFailure(windows, 190_000);
    b.admit(windows, 430_000);
    b.recordFailure(windows, 430_000);
    expect(b.admit(windows, 430_000)).toEqual({ allowed: false, retryInSeconds: 240 + 30 });
  });

  it("closes when a probe reaches its target", () => {
    const b = new CircuitBreakers(settings);
    for (let i = 0; i < 3; i++) b.recordFailure(windows, 0);
    b.admit(windows, 60_000);
    b.recordSuccess(windows);
    expect(b.admit(windows, 60_001)).toEqual({ allowed: true, probe: false });
    expect(b.isOpen(windows)).toBe(false);
  });

  it("does not open on scattered failures between successes", () => {
    const b = new CircuitBreakers(settings);
    for (let i = 0; i < 10; i++) {
      b.recordFailure(windows, i);
      b.recordFailure(windows, i);
      b.recordSuccess(windows);
    }
    expect(b.isOpen(windows)).toBe(false);
  });
});
