import { describe, expect, it } from "vitest";
import { actMessages, ACT_BATCH_SIZE, BATCH_SPREAD_SECONDS } from "../../src/engine/actMessages";
import type { VmRecord } from "../../src/engine/records";

const now = new Date("2026-01-05T08:00:00Z");
const row = (i: number, dueInSeconds: number, subscriptionId = "s1"): VmRecord => ({
  requestId: "r", key: `k${i}`, id: `id${i}`, subscriptionId, resourceGroup: "rg", name: `vm${i}`, location: i % 2 ? "eastus" : "westus",
  status: "Pending", attempt: 0, dueAt: new Date(now.getTime() + dueInSeconds * 1000),
});
const request = { requestId: "r", action: "start" as const, deadline: new Date("2026-01-05T10:00:00Z") };

describe("actMessages", () => {
  it("never sends a VM before it is due nor much after, and batches a large release into few messages", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => row(i, i / 8)); // 8 per second for 125 s
    const batches = actMessages(request, rows, now);
    const dueOf = new Map(rows.map((r) => [r.key, (r.dueAt!.getTime() - now.getTime()) / 1000]));
    for (const b of batches) {
      expect(b.message.vms.length).toBeLessThanOrEqual(ACT_BATCH_SIZE);
      for (const vm of b.message.vms) {
        expect(b.delaySeconds).toBeGreaterThanOrEqual(dueOf.get(vm.key)!);
        expect(b.delaySeconds).toBeLessThanOrEqual(dueOf.get(vm.key)! + BATCH_SPREAD_SECONDS + 1);
      }
    }
    expect(batches.reduce((n, b) => n + b.message.vms.length, 0)).toBe(1000);
    // 8 VMs per second due within 3 s of each other: about 25 per message.
    expect(batches.length).toBeLessThanOrEqual(45);
  });

  it("fills whole batches when many VMs are due at once", () => {
    const batches = actMessages(request, Array.from({ length: 500 }, (_, i) => row(i, 0)), now);
    expect(batches.map((b) => b.message.vms.length)).toEqual(Array(10).fill(ACT_BATCH_SIZE));
    expect(batches.every((b) => b.delaySeconds === 0)).toBe(true);
  });

  it("lets subscriptions take turns among messages due at the same time", () => {
    const rows = ["s1", "s2", "s3"].flatMap((sub, s) => Array.from({ length: 150 }, (_, i) => row(s * 1000 + i, 0, sub)));
    const order = actMessages(request, rows, now).map((b) => rows.find((r) => r.key === b.message.vms[0]!.key)!.subscriptionId);
    expect(order).toEqual(["s1", "s2", "s3", "s1", "s2", "s3", "s1", "s2", "s3"]);
  });

  it("keeps second precision for a few VMs (retries) and separates subscriptions", () => {
    const batches = actMessages(request, [row(1, 2.2), row(2, 2.5, "s2")], now);
    expect(batches.map((b) => b.delaySeconds)).toEqual([3, 3]);
    expect(batches).toHaveLength(2);
  });
});
