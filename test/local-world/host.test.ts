import { eventually } from "../../src/local/eventually";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueueServiceClient } from "@azure/storage-queue";
import { startAzurite, type RunningAzurite } from "../../src/local/azurite";
import { findFreePort } from "../../src/local/freePort";

const ROOT = join(__dirname, "../..");
const MAIN = join(ROOT, "dist/src/local/host/main.js");
const APP = join(ROOT, "test/fixtures/host-app");
const KEY = "local-test-key";

interface HostProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
}

const children: ChildProcess[] = [];

async function spawnHost(connectionString: string, extraEnv: Record<string, string> = {}): Promise<HostProcess> {
  const port = await findFreePort();
  const child = spawn(process.execPath, [MAIN, "--app-dir", APP, "--port", String(port)], {
    cwd: ROOT,
    env: { ...process.env, AzureWebJobsStorage: connectionString, LOCAL_FUNCTION_KEY: KEY, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  await waitFor(() => out.includes("Functions host listening on"), 20_000, () => `host did not start:\n${out}`);
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out };
}

/** `_cap` is the old per-call cap, now the shared generous one (src/local/eventually.ts). */
async function waitFor<T>(probe: () => T | Promise<T>, _cap: number, message: () => string): Promise<NonNullable<T>> {
  return (await eventually("the host", async () => (await probe()) || undefined, { everyMs: 100, explain: message })) as NonNullable<T>;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** Drains a queue whose messages are base64 (as the host's output binding writes them) into `store`. */
async function drainJson(service: QueueServiceClient, queueName: string, store: unknown[]): Promise<unknown[]> {
  const queue = service.getQueueClient(queueName);
  await queue.createIfNotExists();
  for (;;) {
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
    if (receivedMessageItems.length === 0) return store;
    for (const m of receivedMessageItems) {
      store.push(JSON.parse(Buffer.from(m.messageText, "base64").toString("utf8")));
      await queue.deleteMessage(m.messageId, m.popReceipt);
    }
  }
}

async function sendBase64(service: QueueServiceClient, queueName: string, body: unknown): Promise<void> {
  const queue = service.getQueueClient(queueName);
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from(JSON.stringify(body)).toString("base64"));
}

interface Received { message: { tag?: string }; dequeueCount: number; dequeueCountType: string; metadataKeys: string[] }

describe("local functions host (child process + Azurite)", () => {
  let azurite: RunningAzurite;
  let host: HostProcess;
  let service: QueueServiceClient;
  const received: unknown[] = [];
  const byTag = async (tag: string): Promise<Received | undefined> =>
    (await drainJson(service, "received", received) as Received[]).find((r) => r.message?.tag === tag);

  beforeAll(async () => {
    azurite = await startAzurite();
    service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    host = await spawnHost(azurite.connectionString);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await azurite?.stop();
  });

  it("lists the registered functions and skips disabled ones", () => {
    const out = host.output();
    expect(out).toContain(`  Items: [GET,POST] ${host.base}/api/items/{id}/{extra?}`);
    expect(out).toContain("  Worker: queueTrigger work-items");
    expect(out).toContain("  Tick: timerTrigger * * * * * *");
    expect(out).not.toMatch(/ {2}DisabledFn:/);
  });

  it("enforces function keys (401 without or with a wrong key)", async () => {
    expect((await fetch(`${host.base}/api/items/1`)).status).toBe(401);
    expect((await fetch(`${host.base}/api/items/1?code=wrong`)).status).toBe(401);
    expect((await fetch(`${host.base}/api/items/1`, { headers: { "x-functions-key": "nope" } })).status).toBe(401);
  });

  it("accepts ?code= on GET and on JSON POSTs only: a form-like POST must carry the key in the x-functions-key header", async () => {
    const post = await fetch(`${host.base}/api/items/1?code=${KEY}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(post.status).toBe(401);
    expect(await post.text()).toMatch(/x-functions-key/);
    expect(host.output()).not.toMatch(/Items called for 1\b/);
    // A webhook (Azure Monitor's action groups) can only hold the key in its URL; JSON needs a CORS preflight cross-site.
    const webhook = await fetch(`${host.base}/api/items/2?code=${KEY}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(webhook.status).toBe(200);
  });

  it("passes params, query, headers and the JSON body; returns status, headers and jsonBody", async () => {
    const res = await fetch(`${host.base}/api/items/42?x=1&y=two`, {
      method: "POST",
      headers: { "x-functions-key": KEY, "content-type": "application/json", "x-test": "hello" },
      body: JSON.stringify({ a: 1, nested: { b: [1, 2] } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("hello");
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({
      method: "POST", params: { id: "42" }, query: { x: "1", y: "two" }, body: { a: 1, nested: { b: [1, 2] } },
    });
    const withCode = await fetch(`${host.base}/api/items/7/more?code=${KEY}`);
    expect(withCode.status).toBe(200);
    expect(((await withCode.json()) as { params: unknown }).params).toEqual({ id: "7", extra: "more" });
    expect(host.output()).toMatch(/\] Items \([0-9a-f]{8}\): Items called for 7/);
  });

  it("serves anonymous functions, 404 for unknown routes, 405 for other methods, 500 on exceptions", async () => {
    const ping = await fetch(`${host.base}/api/ping?name=bob`);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe("pong bob");
    expect((await fetch(`${host.base}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${host.base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${host.base}/api/DisabledFn`)).status).toBe(404);
    expect((await fetch(`${host.base}/api/Ping`, { method: "DELETE" })).status).toBe(405);
    expect((await fetch(`${host.base}/api/Boom`)).status).toBe(500);
  });

  it("processes base64 queue messages with numeric dequeueCount and the host's trigger metadata", async () => {
    await sendBase64(service, "work-items", { tag: "ok-1", value: 5 });
    const r = await waitFor(() => byTag("ok-1"), 15_000, () => `not processed:\n${host.output()}`);
    expect(r.dequeueCount).toBe(1);
    expect(r.dequeueCountType).toBe("number");
    expect(r.metadataKeys).toEqual([
      "dequeueCount", "expirationTime", "id", "insertionTime", "nextVisibleTime", "popReceipt", "queueTrigger", "sys",
    ]);
    const queue = service.getQueueClient("work-items");
    const props = await queue.getProperties();
    expect(props.approximateMessagesCount).toBe(0);
  });

  it("moves a failing message to <queue>-poison after maxDequeueCount tries, with its original body", async () => {
    const body = { tag: "bad-1", fail: true };
    await sendBase64(service, "work-items", body);
    const poison = service.getQueueClient("work-items-poison");
    const message = await waitFor(async () => {
      await poison.createIfNotExists();
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      return peekedMessageItems.find((m) => Buffer.from(m.messageText, "base64").toString().includes("bad-1"));
    }, 20_000, () => `no poison message:\n${host.output()}`);
    expect(JSON.parse(Buffer.from(message.messageText, "base64").toString())).toEqual(body);
    const attempts = host.output().split("\n").filter((l) => l.includes('"tag":"bad-1"') && l.includes("received"));
    expect(attempts.map((l) => /dequeueCount=(\d)/.exec(l)?.[1])).toEqual(["1", "2", "3"]);
    expect((await service.getQueueClient("work-items").getProperties()).approximateMessagesCount).toBe(0);
  });

  it("fires timers every second", async () => {
    const ticks: unknown[] = [];
    await waitFor(async () => (await drainJson(service, "timer-ticks", ticks)).length >= 2, 10_000,
      () => `timer did not fire:\n${host.output()}`);
    expect(ticks[0]).toMatchObject({ isPastDue: false, hasSchedule: true });
  });

  it("stops on SIGTERM after the running invocation finished, exit code 0", async () => {
    await sendBase64(service, "work-items", { tag: "slow-term", slowMs: 1500 });
    await waitFor(() => host.output().includes("slow start slow-term"), 15_000, () => host.output());
    host.child.kill("SIGTERM");
    expect(await exited(host.child)).toBe(0);
    const r = await waitFor(() => byTag("slow-term"), 5_000, () => `not completed before exit:\n${host.output()}`);
    expect(r.dequeueCount).toBe(1);
  });
});

describe("local functions host startup", () => {
  it("refuses to start without LOCAL_FUNCTION_KEY when a function needs a key", async () => {
    const child = spawn(process.execPath, [MAIN, "--app-dir", APP, "--port", "0"], {
      cwd: ROOT,
      env: { ...process.env, AzureWebJobsStorage: "UseDevelopmentStorage=true", LOCAL_FUNCTION_KEY: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let err = "";
    child.stderr!.on("data", (d: Buffer) => { err += d.toString(); });
    expect(await exited(child)).toBe(1);
    expect(err).toMatch(/LOCAL_FUNCTION_KEY.*Items/);
  });
});

describe("local functions host crash recovery", () => {
  let azurite: RunningAzurite;

  beforeAll(async () => {
    azurite = await startAzurite();
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await azurite?.stop();
  });

  it("a message whose host was SIGKILLed mid-invocation is processed again after restart", async () => {
    const service = QueueServiceClient.fromConnectionString(azurite.connectionString);
    const env = { LOCAL_HOST_QUEUE_LEASE_SECONDS: "3", LOCAL_HOST_DISABLE_TIMERS: "true" };
    const first = await spawnHost(azurite.connectionString, env);
    expect(first.output()).toContain("Tick: timerTrigger * * * * * * (timers disabled)");
    await sendBase64(service, "work-items", { tag: "crash-1", slowMs: 4000 });
    await waitFor(() => first.output().includes("slow start crash-1"), 15_000, () => first.output());
    first.child.kill("SIGKILL");
    await exited(first.child);

    const second = await spawnHost(azurite.connectionString, env);
    const store: unknown[] = [];
    const r = await waitFor(async () =>
      (await drainJson(service, "received", store) as Received[]).find((x) => x.message?.tag === "crash-1"),
      20_000, () => `not reprocessed:\n${second.output()}`);
    expect(r.dequeueCount).toBe(2);
    // The 4 s invocation outlived the 3 s lease: renewal kept it from being delivered twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(second.output().split("slow start crash-1").length - 1).toBe(1);
    expect(second.output()).not.toContain("lost the lease");
    expect((await drainJson(service, "received", store) as Received[]).filter((x) => x.message?.tag === "crash-1")).toHaveLength(1);
    expect(second.output()).not.toContain("Executing 'Tick'");
    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
  });
});
