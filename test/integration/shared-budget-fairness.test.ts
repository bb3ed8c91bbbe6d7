/**
 * Fairness of the shared budget: a small request posted while a large one is spending the subscription's bucket is
 * not stuck behind it. Both plan as if the budget were theirs; the ledger grants tokens to whichever act message is
 * due, and the VMs it holds back come back spread over the refill, so the small request's VMs interleave with the
 * large one's instead of queueing after them. It is not given priority either: there is no even split per request.
 * Checked on the simulator's own request log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { World } from "../../src/local/world";
import { lowestTokens } from "../support/bucketReplay";
import { startResourceGroup as body, startBudgetWorld, TIGHT_COMPUTE as compute } from "../support/budgetWorld";

const LARGE = 600;
const SMALL = 40;
let world: World;
beforeAll(async () => {
  world = await startBudgetWorld({ resourceGroups: [{ name: "rg-large", count: LARGE }, { name: "rg-small", count: SMALL }], hosts: 2 });
});
afterAll(async () => world?.stop());

const acceptedStarts = async (rg: string) =>
  (await world.armRequests()).filter((r) => r.operation === "start" && r.status < 300 && r.vmId?.includes(`/resourceGroups/${rg}/`)).map((r) => Date.parse(r.time)).sort((a, b) => a - b);

describe("the shared budget's fairness", () => {
  it("a small request posted while a large one spends the bucket is not stuck behind it", async () => {
    const large = await world.callFunction("POST", "Scheduled", body("rg-large"));
    // Post the small request once the large one has spent the burst and is living on the refill.
    await world.eventually("the large request to spend the burst", async () => (await acceptedStarts("rg-large")).length >= compute.burst + 20);
    const postedAt = world.armSimulator.now();
    const small = await world.callFunction("POST", "Scheduled", body("rg-small"));
    const [doneSmall, doneLarge] = await Promise.all([world.waitForRequest(small.body.requestId, 400_000), world.waitForRequest(large.body.requestId, 400_000)]);
    expect([doneSmall.state, doneLarge.state]).toEqual(["Succeeded", "Succeeded"]);

    const log = await world.armRequests();
    expect(log.filter((r) => r.status === 429)).toEqual([]);
    const largeCalls = await acceptedStarts("rg-large");
    const smallCalls = await acceptedStarts("rg-small");
    expect(largeCalls).toHaveLength(LARGE);
    expect(smallCalls).toHaveLength(SMALL);
    expect(lowestTokens([...largeCalls, ...smallCalls], compute)).toBeGreaterThanOrEqual(0);
    // Stuck behind the large request, the small one's calls would start after the large one's last call. The ledger
    // serves whichever act message is due, so the small request's VMs interleave with the large one's: its last call
    // goes out well before the large request's, with a good part of the large one still to send. (Grants follow the
    // due messages, not an even split per request: measured 0.5–0.6 of the large one's remaining time, so the bound
    // below leaves room for a loaded machine.)
    const largeRemaining = largeCalls[largeCalls.length - 1]! - postedAt;
    const smallSpan = smallCalls[smallCalls.length - 1]! - postedAt;
    expect(smallSpan).toBeLessThan(0.8 * largeRemaining);
    const largeAfterSmall = largeCalls.filter((t) => t > smallCalls[smallCalls.length - 1]!).length;
    expect(largeAfterSmall).toBeGreaterThan(LARGE / 10);
  }, 420_000);
});
