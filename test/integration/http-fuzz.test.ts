/**
 * 10,000 generated bad requests through the real HTTP path (local host → Scheduled and RequestStatus):
 * none gets a 5xx, every POST is refused with a 4xx, and nothing is written: every table's entities and
 * every queue's messages are counted with the storage SDKs before and after.
 */
import http from "node:http";
import { QueueServiceClient } from "@azure/storage-queue";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_KEY, World } from "../../src/local/world";
import { fuzzCases, type FuzzCase } from "../support/fuzzInputs";
import { SUB_A, smallFleet, vmIdOf } from "../support/fleets";

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = 20_261_122;
const CONCURRENCY = 24;
let world: World;
beforeAll(async () => {
  world = await World.start({ fleet: smallFleet() });
});
afterAll(async () => world?.stop());

/** Every table with its entity count, every queue with its message count (peeked: counts, not approximations). */
async function storageSnapshot(): Promise<Record<string, number>> {
  const conn = world.azurite.connectionString;
  const snapshot: Record<string, number> = {};
  for await (const table of TableServiceClient.fromConnectionString(conn, { allowInsecureConnection: true }).listTables()) {
    let n = 0;
    for await (const _ of TableClient.fromConnectionString(conn, table.name!, { allowInsecureConnection: true }).listEntities()) n++;
    snapshot[`table:${table.name}`] = n;
  }
  const queues = QueueServiceClient.fromConnectionString(conn);
  for await (const queue of queues.listQueues()) {
    snapshot[`queue:${queue.name}`] = (await queues.getQueueClient(queue.name).getProperties()).approximateMessagesCount ?? -1;
  }
  return snapshot;
}

type Outcome = { status: number } | { closed: string };

function send(agent: http.Agent, c: FuzzCase): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(`${world.hostUrl}/api/${c.route}`, {
      method: c.method, agent,
      headers: { "x-functions-key": FUNCTION_KEY, ...c.headers, ...(c.body ? { "content-length": String(c.body.length) } : {}) },
    }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
      res.on("error", (e) => resolve({ closed: e.message }));
    });
    req.on("error", (e) => resolve({ closed: (e as NodeJS.ErrnoException).code ?? e.message }));
    req.end(c.body);
  });
}

describe("HTTP fuzzing", () => {
  it(`${CASES} generated bad bodies and headers: no 5xx, every POST refused, nothing written`, async () => {
    // One real, finished request, so the status API's paging and filters have something to read.
    const real = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { VMLists: [vmIdOf(SUB_A, "rg-data", "azure-db-02")] } });
    expect(real.status, real.text).toBe(202);
    await world.waitForRequest(real.body.requestId);
    await new Promise((r) => setTimeout(r, 2_000)); // its last queue messages are consumed
    const before = await storageSnapshot();

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const cases = fuzzCases(SEED, CASES, real.body.requestId);
    const byCategory = new Map<string, Map<string, number>>();
    const bad: string[] = [];
    const started = Date.now();
    let sent = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let next = cases.next(); !next.done; next = cases.next()) {
        const c = next.value;
        const outcome = await send(agent, c);
        sent++;
        const label = "status" in outcome ? String(outcome.status) : `closed:${outcome.closed}`;
        const counts = byCategory.get(c.category) ?? new Map<string, number>();
        counts.set(label, (counts.get(label) ?? 0) + 1);
        byCategory.set(c.category, counts);
        const refused = "status" in outcome && outcome.status >= 400 && outcome.status < 500;
        const closedOnHugeHeaders = !("status" in outcome) && c.category === "hugeHeaders";
        const ok = refused || closedOnHugeHeaders || (!c.mustRefuse && "status" in outcome && outcome.status === 200);
        if (!ok && bad.length < 20) bad.push(`${c.category} ${c.method} ${c.route.slice(0, 80)} → ${label}: ${JSON.stringify(c.headers).slice(0, 200)} ${c.body?.toString("utf8").slice(0, 200)}`);
      }
    }));
    const seconds = (Date.now() - started) / 1000;
    agent.destroy();
    console.log(`fuzz: ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s)`);
    for (const [category, counts] of byCategory) console.log(`  ${category}: ${[...counts].map(([k, v]) => `${k}×${v}`).join(", ")}`);

    expect(sent).toBe(CASES);
    expect(bad).toEqual([]);
    expect(await storageSnapshot()).toEqual(before);
    expect(world.hostLogs().filter((l) => /HTTP request failed|Executed 'Scheduled' \(Failed/.test(l))).toEqual([]);
  }, 120_000);
});
