/**
 * A Start/Stop VMs v2 message in our queue (someone shared a storage account with v2) is refused loudly:
 * each attempt fails saying so, the message ends in the poison queue, and no VM is touched.
 */
import { QueueServiceClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World } from "../../src/local/world";
import { SUB_A, smallFleet, vmIdOf } from "../support/fleets";

let world: World;
beforeAll(async () => {
  world = await World.start({ fleet: smallFleet() });
});
afterAll(async () => world?.stop());

describe("v2-shaped queue message", () => {
  it("is refused with an error naming v2 and shared storage, then poisoned; nothing acts", async () => {
    const queues = QueueServiceClient.fromConnectionString(world.azurite.connectionString);
    const queue = queues.getQueueClient("orchestration-request");
    await queue.createIfNotExists();
    const v2Message = JSON.stringify({ Action: "start", EnableClassic: false, RequestScopes: { VMLists: [vmIdOf(SUB_A, "rg-web", "web-01")] }, CorrelationId: "c0ffee" });
    await queue.sendMessage(Buffer.from(v2Message).toString("base64")); // the host's messageEncoding is base64

    const poison = queues.getQueueClient("orchestration-request-poison");
    const poisoned = await world.eventually("the v2 message in the poison queue", async () =>
      ((await poison.exists()) && (await poison.getProperties()).approximateMessagesCount) || undefined, { everyMs: 1000 });
    expect(poisoned).toBe(1);
    expect(world.hostLogs().some((l) => l.includes("looks like a Start/Stop VMs v2 message") && l.includes("must never share a storage account"))).toBe(true);
    expect(await world.armRequests()).toEqual([]);
  });
});
