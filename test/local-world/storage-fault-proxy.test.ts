/**
 * The storage fault proxy: requests pass untouched outside fault windows; inside one, the official storage
 * SDKs see what an overloaded account gives them (503 ServerBusy, dropped connections, slow answers), only
 * for the services the window names, and nothing reaches Azurite.
 */
import { QueueClient } from "@azure/storage-queue";
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEV_ACCOUNT, DEV_KEY, startAzurite, type RunningAzurite } from "../../src/local/azurite";
import { startStorageFaultProxy, type StorageFaultProxy } from "../../src/local/storage-fault-proxy";

let azurite: RunningAzurite;
let proxy: StorageFaultProxy;
let clock = 1_000_000;
// One attempt each, so a test sees the fault itself rather than the SDK's retries (the two SDKs name it differently).
const queueNoRetry = { retryOptions: { maxTries: 1 } };
const tableNoRetry = { retryOptions: { maxRetries: 0 } };

beforeAll(async () => {
  azurite = await startAzurite();
  proxy = await startStorageFaultProxy({
    queueTarget: azurite.queuePort, tableTarget: azurite.tablePort, accountName: DEV_ACCOUNT, accountKey: DEV_KEY, now: () => clock,
  });
});
afterAll(async () => {
  await proxy?.close();
  await azurite?.stop();
});
beforeEach(() => proxy.clearFaults());

const viaProxy = (name: string) => ({
  queue: new QueueClient(proxy.connectionString, name, queueNoRetry),
  table: TableClient.fromConnectionString(proxy.connectionString, name, { allowInsecureConnection: true, ...tableNoRetry }),
});
const direct = (name: string) => ({
  queue: new QueueClient(azurite.connectionString, name),
  table: TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true }),
});
async function messageCount(queue: QueueClient): Promise<number> {
  return (await queue.getProperties()).approximateMessagesCount ?? -1;
}
async function entityCount(table: TableClient): Promise<number> {
  let n = 0;
  for await (const _ of table.listEntities()) n++;
  return n;
}
async function failure(work: Promise<unknown>): Promise<any> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected the storage call to fail");
}

describe("storage fault proxy", () => {
  it("forwards queue and table requests untouched when no window is active", async () => {
    const { queue, table } = viaProxy("passthrough");
    await queue.create();
    await queue.sendMessage("hello ✓");
    const received = await queue.receiveMessages();
    expect(received.receivedMessageItems[0]?.messageText).toBe("hello ✓");
    await table.createTable();
    await table.upsertEntity({ partitionKey: "p", rowKey: "r", text: "ünïcode" });
    expect((await direct("passthrough").table.getEntity("p", "r")).text).toBe("ünïcode");
    expect(proxy.counts("queue").forwarded).toBeGreaterThanOrEqual(3);
    expect(proxy.counts("table").forwarded).toBeGreaterThanOrEqual(2);
  });

  it("answers 503 ServerBusy in each service's error shape inside the window, and nothing is written", async () => {
    const { queue, table } = viaProxy("busy");
    await queue.create();
    await table.createTable();
    proxy.addFault({ kind: "serverBusy", fromMs: clock, toMs: clock + 60_000 });
    const queueError = await failure(queue.sendMessage("lost?"));
    expect(queueError.statusCode).toBe(503);
    expect(queueError.code).toBe("ServerBusy");
    const tableError = await failure(table.createEntity({ partitionKey: "p", rowKey: "r" }));
    expect(tableError.statusCode).toBe(503);
    expect(JSON.stringify(tableError.details ?? {}) + tableError.message + tableError.code).toMatch(/ServerBusy/);
    expect(await messageCount(direct("busy").queue)).toBe(0);
    expect(await entityCount(direct("busy").table)).toBe(0);

    clock += 60_000; // the window is over
    await queue.sendMessage("after");
    await table.createEntity({ partitionKey: "p", rowKey: "r" });
    expect(await messageCount(direct("busy").queue)).toBe(1);
    expect(await entityCount(direct("busy").table)).toBe(1);
  });

  it("applies a window only to the services it names and only between its bounds", async () => {
    const { queue, table } = viaProxy("scoped");
    await queue.create();
    await table.createTable();
    proxy.addFault({ kind: "serverBusy", services: ["table"], fromMs: clock + 1_000, toMs: clock + 2_000 });
    await table.createEntity({ partitionKey: "p", rowKey: "before" }); // not started yet
    clock += 1_000;
    await queue.sendMessage("queue unaffected");
    expect((await failure(table.createEntity({ partitionKey: "p", rowKey: "during" }))).statusCode).toBe(503);
    clock += 1_000;
    await table.createEntity({ partitionKey: "p", rowKey: "after" });
    expect(await entityCount(direct("scoped").table)).toBe(2);
  });

  it("drops connections mid-request: the SDK gets a network error, not an answer", async () => {
    const { queue, table } = viaProxy("dropped");
    await queue.create();
    await table.createTable();
    const before = proxy.counts("queue").dropped;
    proxy.addFault({ kind: "drop", fromMs: clock, toMs: clock + 1_000 });
    const queueError = await failure(queue.sendMessage("x"));
    expect(queueError.statusCode).toBeUndefined();
    expect(String(queueError.code ?? queueError.message)).toMatch(/ECONNRESET|socket hang up|REQUEST_SEND_ERROR/i);
    const tableError = await failure(table.createEntity({ partitionKey: "p", rowKey: "r" }));
    expect(tableError.statusCode).toBeUndefined();
    expect(proxy.counts("queue").dropped).toBe(before + 1);
    expect(await messageCount(direct("dropped").queue)).toBe(0);
  });

  it("adds latency: a client with a shorter timeout gives up (the SDK sees a timeout)", async () => {
    const { queue } = viaProxy("slow");
    await queue.create();
    proxy.addFault({ kind: "latency", latencyMs: 2_000, fromMs: clock, toMs: clock + 1_000 });
    const error = await failure(queue.sendMessage("late", { abortSignal: AbortSignal.timeout(200) }));
    expect(error.name).toMatch(/AbortError/);
    expect(proxy.counts("queue").delayed).toBeGreaterThanOrEqual(1);
  });

  it("refuses a window that ends before it starts", () => {
    expect(() => proxy.addFault({ kind: "drop", fromMs: 10, toMs: 10 })).toThrow(/must end after it starts/);
  });
});
