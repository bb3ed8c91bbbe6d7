/**
 * At reduced scale and strongly compressed time: 2,000 VMs in one subscription + region with a tight
 * Compute budget. Every VM arrives, and the simulator's log shows the calls were spread at the budget's
 * rate: no bucket was exceeded beyond its burst (not a single throttled answer).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { World } from "../../src/local/world";
import { SUB_A } from "../support/fleets";
import { lowestTokens } from "../support/bucketReplay";
import { startBudgetWorld } from "../support/budgetWorld";

const compute = { burst: 300, perMinute: 100 };
let world: World;
beforeAll(async () => {
  world = await startBudgetWorld({
    resourceGroups: Array.from({ length: 4 }, (_, i) => ({ name: `rg-${i}`, count: 500 })),
    compute,
    startSeconds: { minSeconds: 30, maxSeconds: 120 },
  });
});
afterAll(async () => world?.stop());

describe("pacing at the throttling limit", () => {
  it("2,000 VMs arrive with no bucket exceeded", async () => {
    const accepted = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`] } });
    const status = await world.waitForRequest(accepted.body.requestId, 300_000);
    expect(status.state).toBe("Succeeded");
    expect((await world.vms()).filter((v) => v.powerState !== "running")).toHaveLength(0);

    const log = await world.armRequests();
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    const starts = log.filter((r) => r.operation === "start").map((r) => Date.parse(r.time)).sort((a, b) => a - b);
    expect(starts).toHaveLength(2000);
    // Replay the documented token bucket over the simulator's timestamps: it never goes below zero.
    const lowest = lowestTokens(starts, compute);
    expect(lowest).toBeGreaterThanOrEqual(0);
    // And the calls really were spread out rather than lucky: (2,000 - 300) / 100 per minute ≈ 17 minutes.
    expect((starts[starts.length - 1]! - starts[0]!) / 60_000).toBeGreaterThan(15);
    // Verification stays cheap: well under one ARM read per VM.
    expect(log.filter((r) => r.method === "GET").length / 2000).toBeLessThan(0.25);
  });
});
