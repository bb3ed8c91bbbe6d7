/**
 * 10,000 generated bad requests through the real HTTP path (local host → every route: Scheduled, RequestStatus,
 * /api/events, /api/vms/{id}, AutoStopVM, AutoStop, AutoStopRunStatus, the schedules API and the Logic Apps' token
 * doors), each route with authenticated (a valid key or Entra token, bad input) and unauthenticated (no, wrong or
 * forged proof) variants: none gets a 5xx, every case is refused with a 4xx, and nothing is written: every table's entities and
 * every queue's messages are counted with the storage SDKs before and after.
 */
import http from "node:http";
import { QueueServiceClient } from "@azure/storage-queue";
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_GROUPS_PRINCIPAL, CALLER_AUDIENCE, FUNCTION_KEY, LOGIC_APPS_PRINCIPAL, World } from "../../src/local/world";
import { TokenIssuer } from "../../src/local/imds-simulator/tokenIssuer";
import { fuzzCases, type FuzzCase } from "../support/fuzzInputs";
import { routeFuzzCases, type RouteFuzzContext } from "../support/fuzzRoutes";
import { SUB_A, smallFleet, vmIdOf } from "../support/fleets";

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
const SEED = 20_261_122;
const CONCURRENCY = 24;
/** Share of the cases on Scheduled and RequestStatus; the rest spread over the other routes. */
const SCHEDULED_SHARE = 0.4;
const EVENTS_AUDIENCE = "api://startstop-events";
let world: World;
beforeAll(async () => {
  world = await World.start({ fleet: smallFleet(), settings: { EVENTS_TOKEN_AUDIENCE: EVENTS_AUDIENCE } });
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
  it(`${CASES} generated bad bodies, paths, keys and tokens on every route: no 5xx, every case refused, nothing written`, async () => {
    // One real, finished request, so the status API's paging and filters have something to read.
    const real = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { VMLists: [vmIdOf(SUB_A, "rg-data", "azure-db-02")] } });
    expect(real.status, real.text).toBe(202);
    await world.waitForRequest(real.body.requestId);
    // One real AutoStop run with its alerts, so AutoStopVM and the run status have something real to be wrong about.
    const autoStop = await world.callFunction("POST", "AutoStop", { Action: "stop", AutoStop_Threshold: "5", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/rg-data/`] } });
    expect(autoStop.status, autoStop.text).toBe(202);
    await world.eventually("the AutoStop run", async () => (await world.callFunction("GET", `autostop/runs/${autoStop.body.runId}`)).body.state === "Succeeded");
    const rule = (await world.sim<{ alerts: { name: string }[] }>("GET", "metricAlerts")).alerts[0]!;
    // Every route once, so the tables they create on first use exist before the snapshot.
    expect((await world.callFunction("GET", `vms/${encodeURIComponent(vmIdOf(SUB_A, "rg-data", "azure-db-02"))}`)).status).toBe(200);
    expect((await world.callFunction("GET", "schedules")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_000)); // its last queue messages are consumed
    const before = await storageSnapshot();

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const scheduledCases = Math.round(CASES * SCHEDULED_SHARE);
    const cases = interleave(fuzzCases(SEED, scheduledCases, real.body.requestId), routeFuzzCases(SEED + 1, CASES - scheduledCases, routeContext(autoStop.body.runId, rule.name)));
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
    expect(world.hostLogs().filter((l) => /HTTP request failed|Executed '[^']+' \(Failed/.test(l))).toEqual([]);
  }, 120_000);
});

/** The proofs the route cases use: genuine tokens of each caller, and tokens that must never pass. */
function routeContext(runId: string, ruleName: string): RouteFuzzContext {
  const vmId = vmIdOf(SUB_A, "rg-web", "web-01");
  const now = world.armSimulator.clock.now();
  const genuine = world.entra.token({ audience: CALLER_AUDIENCE, objectId: LOGIC_APPS_PRINCIPAL });
  const [header, payload] = genuine.split(".");
  const stranger = new TokenIssuer(world.entra.tenantId);
  const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${payload}.`;
  return {
    operatorToken: genuine,
    alertToken: world.entra.token({ audience: CALLER_AUDIENCE, objectId: ACTION_GROUPS_PRINCIPAL }),
    vmToken: world.entra.tokenIssuer.issue({ audience: EVENTS_AUDIENCE, miResourceId: vmId, principalId: "0b1e5a11-0000-4000-8000-00000000beef", nowMs: now }).accessToken,
    vmId,
    otherVmId: vmIdOf(SUB_A, "rg-data", "azure-db-02"),
    ruleName,
    runId,
    forgedTokens: [
      world.entra.token({ audience: "https://management.azure.com/", objectId: LOGIC_APPS_PRINCIPAL }),
      stranger.issue({ audience: CALLER_AUDIENCE, principalId: LOGIC_APPS_PRINCIPAL, nowMs: now }).accessToken,
      world.entra.tokenIssuer.issue({ audience: CALLER_AUDIENCE, principalId: LOGIC_APPS_PRINCIPAL, nowMs: now - 86_400_000, lifetimeSeconds: 3600 }).accessToken,
      none,
      `${header}.${payload}.${"A".repeat(342)}`,
      world.entra.token({ audience: CALLER_AUDIENCE, objectId: "0dd0dd00-0000-4000-8000-000000000bad" }),
    ],
  };
}

/** Alternates two case streams until both are exhausted. */
function* interleave(a: Generator<FuzzCase>, b: Generator<FuzzCase>): Generator<FuzzCase> {
  for (;;) {
    const x = a.next();
    const y = b.next();
    if (!x.done) yield x.value;
    if (!y.done) yield y.value;
    if (x.done && y.done) return;
  }
}
