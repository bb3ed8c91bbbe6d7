/**
 * POST /api/events end to end: the real bash agent on "web-01" reports a Freeze to the app in the local host, with
 * web-01's managed-identity token from the IMDS simulator; the app records it. Reports without a valid token, with a
 * token for another audience or signed by another issuer's key, or from one VM about another, change nothing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World } from "../../src/local/world";
import { requestJson } from "../../src/local/httpsJson";
import { startImdsSimulator, type RunningImdsSimulator } from "../../src/local/imds-simulator";
import { SUB_A, smallFleet, vmIdOf } from "../support/fleets";

const AUDIENCE = "api://startstop-events-test";
const WEB_01 = vmIdOf(SUB_A, "rg-web", "web-01");
const WEB_02 = vmIdOf(SUB_A, "rg-web", "web-02");
let world: World;
let imds01: RunningImdsSimulator;
let imds02: RunningImdsSimulator;
let otherTenant: RunningImdsSimulator;
let outsider: RunningImdsSimulator;
const OUTSIDER = vmIdOf(SUB_A, "rg-not-ours", "stray-01");

beforeAll(async () => {
  imds01 = await startImdsSimulator({ vmResourceId: WEB_01 });
  imds02 = await startImdsSimulator({ vmResourceId: WEB_02, sameTenantAs: imds01 });
  otherTenant = await startImdsSimulator({ vmResourceId: WEB_01, tenantId: "99999999-0000-4000-8000-000000000999" });
  outsider = await startImdsSimulator({ vmResourceId: OUTSIDER, sameTenantAs: imds01 });
  world = await World.start({
    fleet: smallFleet(),
    settings: { EVENTS_TOKEN_AUDIENCE: AUDIENCE, EVENTS_TOKEN_ISSUER: imds01.issuer, EVENTS_JWKS_URL: imds01.jwksUrl, TARGET_SCOPES: `/subscriptions/${SUB_A}/resourceGroups/rg-web` },
  });
});
afterAll(async () => {
  await world?.stop();
  await Promise.all([imds01, imds02, otherTenant, outsider].map((s) => s?.close()));
});

async function tokenFrom(imds: RunningImdsSimulator, audience = AUDIENCE): Promise<string> {
  const res = await requestJson(`${imds.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(audience)}`, { headers: { Metadata: "true" } });
  return res.body.access_token;
}

const report = (vmId: string, eventId = "0000aaaa-5e5e-4000-8000-000000000001") => ({
  vmId,
  documentIncarnation: 3,
  event: {
    EventId: eventId, EventType: "Freeze", ResourceType: "VirtualMachine", Resources: [vmId.split("/").pop()],
    EventStatus: "Scheduled", NotBefore: new Date(Date.now() + 900_000).toUTCString(), Description: "Host maintenance", EventSource: "Platform", DurationInSeconds: 9,
  },
});

async function storedEvents(): Promise<Record<string, unknown>[]> {
  const table = TableClient.fromConnectionString(world.azurite.connectionString, "scheduledeventstoretable", { allowInsecureConnection: true });
  const rows: Record<string, unknown>[] = [];
  try {
    for await (const e of table.listEntities<Record<string, unknown>>()) rows.push(e);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
  return rows;
}

describe("POST /api/events", () => {
  it("refuses reports without a valid token, for another audience, from another issuer, or about another VM", async () => {
    const post = (body: unknown, token?: string, headers: Record<string, string> = {}) =>
      requestJson(`${world.hostUrl}/api/events`, { method: "POST", body, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    expect((await post(report(WEB_01))).status).toBe(401);
    expect((await post(report(WEB_01), "not.a.jwt")).status).toBe(401);
    const wrongAudience = await post(report(WEB_01), await tokenFrom(imds01, "https://management.azure.com/"));
    expect(wrongAudience.status).toBe(401);
    expect(wrongAudience.body.detail).toMatch(/REPORT_AUDIENCE/);
    expect((await post(report(WEB_01), await tokenFrom(otherTenant))).status).toBe(401);
    // A token whose signature does not match its claims (web-01's header and claims, another key's signature).
    const [h, p] = (await tokenFrom(imds01)).split(".");
    const forged = `${h}.${p}.${(await tokenFrom(otherTenant)).split(".")[2]}`;
    expect((await post(report(WEB_01), forged)).status).toBe(401);
    // web-01's own token, speaking for web-02.
    const impersonation = await post(report(WEB_02), await tokenFrom(imds01));
    expect(impersonation.status).toBe(403);
    // Valid token, bad body: the field is named.
    const bad = await post({ vmId: WEB_01, event: { EventId: "x", EventType: "Nap", EventStatus: "Scheduled", Resources: ["web-01"] } }, await tokenFrom(imds01));
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain("event.EventType");
    const notJson = await post(undefined, await tokenFrom(imds01), { "content-type": "text/plain" });
    expect(notJson.status).toBe(415);
    expect(await storedEvents()).toEqual([]);
  });

  it("the agent on web-01 reports a Freeze with web-01's token and the app records it", async () => {
    const eventId = imds01.events.schedule({ eventType: "Freeze", noticeSeconds: 900, durationSeconds: 9, resources: ["web-01"] }, Date.now());
    const dir = mkdtempSync(path.join(tmpdir(), "ssv-agent-e2e-"));
    const agent = spawn("bash", [path.join(__dirname, "../../agents/scheduled-events/linux/ssv-events-agent.sh")], {
      env: {
        PATH: process.env.PATH ?? "", IMDS_ENDPOINT: imds01.url, STATE_DIR: dir, POLL_SECONDS: "0.2", APPROVE: "false",
        REPORT_URL: `${world.hostUrl}/api/events`, REPORT_AUDIENCE: AUDIENCE, LOG_TAG: "ssv-events-agent-test",
      },
      stdio: "ignore",
    });
    try {
      const rows = await world.eventually("the agent's report to be stored", async () => { const r = await storedEvents(); return r.length > 0 && r; }, { everyMs: 200 });
      const events = rows.filter((r) => !String(r.partitionKey).startsWith("windows|") && !String(r.rowKey).startsWith("~"));
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ rowKey: eventId, eventType: "Freeze", status: "Scheduled", vmId: WEB_01.toLowerCase(), durationSeconds: 9 });
      // The window the executor keeps out of: from NotBefore, for the event's duration.
      const windows = (await storedEvents()).filter((r) => String(r.partitionKey).startsWith("windows|"));
      expect(windows).toHaveLength(1);
      expect(Date.parse(String(windows[0]!.end)) - Date.parse(String(windows[0]!.start))).toBe(9_000);
    } finally {
      agent.kill("SIGKILL");
    }
  });

  it("a start that falls inside an announced Freeze waits for it to end, and its outcome says why", async () => {
    // web-02's agent reports a Freeze that has begun and lasts 8 s; a start of web-02 is posted inside it.
    const began = Date.now() - 1000;
    const freeze = { ...report(WEB_02, "0000bbbb-5e5e-4000-8000-000000000002"), documentIncarnation: 7 };
    freeze.event = { ...freeze.event, NotBefore: new Date(began).toUTCString(), DurationInSeconds: 8 };
    const token = await tokenFrom(imds02);
    const posted = await requestJson(`${world.hostUrl}/api/events`, { method: "POST", body: freeze, headers: { authorization: `Bearer ${token}` } });
    expect(posted.status).toBe(202);
    const windowEnds = Math.floor(began / 1000) * 1000 + 8000; // NotBefore is RFC 1123: whole seconds

    const start = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { VMLists: [WEB_02] } });
    expect(start.status).toBe(202);
    const done = await world.waitForRequest(start.body.requestId, 60_000);
    expect(done.state).toBe("Succeeded");
    const [outcome] = await world.allOutcomes(start.body.requestId);
    expect(outcome.note).toMatch(/^waited: Azure announced maintenance \(Freeze, event 0000bbbb-5e5e-4000-8000-000000000002\)/);
    // The simulator's truth: web-02 was called once, only after the window ended.
    const calls = (await world.armRequests()).filter((r) => r.operation === "start" && r.status === 202 && r.vmId === WEB_02);
    expect(calls).toHaveLength(1);
    expect(Date.parse(calls[0]!.time)).toBeGreaterThanOrEqual(windowEnds);
  }, 90_000);

  it("a VM outside the app's scopes records nothing, and a flood of absurd durations from one of ours is cut at its rate limit: 202 then 429, never a 5xx", async () => {
    const post = async (body: unknown, token: string) =>
      requestJson(`${world.hostUrl}/api/events`, { method: "POST", body, headers: { authorization: `Bearer ${token}` } });
    const before = (await storedEvents()).length;
    const stray = await post(report(OUTSIDER), await tokenFrom(outsider));
    expect(stray.status).toBe(403);
    expect(stray.body.detail).toMatch(/not a VM this app manages/);
    expect((await storedEvents()).length).toBe(before);

    const token = await tokenFrom(imds01);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const flood = report(WEB_01, `0000ffff-5e5e-4000-8000-${String(i).padStart(12, "0")}`);
      flood.event = { ...flood.event, DurationInSeconds: i % 2 === 0 ? 1e20 : 1e9 };
      const answer = await post(flood, token);
      statuses.push(answer.status);
      if (answer.status === 429) expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
    }
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(20);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    // What was kept holds web-01 for a Freeze's cap at most, not for 31 years.
    const windows = (await storedEvents()).filter((r) => String(r.partitionKey).startsWith("windows|"));
    expect(Math.max(...windows.map((w) => Date.parse(String(w.end)) - Date.parse(String(w.start))))).toBeLessThanOrEqual(15 * 60_000);
  });
});
