/**
 * Bad input to POST /api/Scheduled gets a 4xx problem+json naming the field, and nothing is enqueued or
 * written; requests without the function key are refused.
 */
import { QueueServiceClient } from "@azure/storage-queue";
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_KEY, World } from "../../src/local/world";
import { requestJson } from "../../src/local/httpsJson";
import { SUB_A, rgId, smallFleet, vmIdOf } from "../support/fleets";

let world: World;
beforeAll(async () => {
  world = await World.start({ fleet: smallFleet() });
});
afterAll(async () => world?.stop());

const vm = vmIdOf(SUB_A, "rg-web", "web-01");
const valid = { Action: "start", RequestScopes: { VMLists: [vm] } };

const badInputs: { name: string; body?: unknown; raw?: string; field: RegExp; status?: number; headers?: Record<string, string> }[] = [
  { name: "not JSON", raw: "{Action: start", field: /^\(body\)$/ },
  { name: "JSON array", body: [valid], field: /^\(body\)$/ },
  { name: "JSON string", body: "start", field: /^\(body\)$/ },
  { name: "missing Action", body: { RequestScopes: valid.RequestScopes }, field: /^Action$/ },
  { name: "unknown Action", body: { ...valid, Action: "reboot" }, field: /^Action$/ },
  { name: "Action not a string", body: { ...valid, Action: 1 }, field: /^Action$/ },
  { name: "missing RequestScopes", body: { Action: "start" }, field: /^RequestScopes$/ },
  { name: "RequestScopes not an object", body: { Action: "start", RequestScopes: "all" }, field: /^RequestScopes$/ },
  { name: "empty scopes", body: { Action: "start", RequestScopes: { VMLists: [], Subscriptions: [] } }, field: /^RequestScopes$/ },
  { name: "only exclusions", body: { Action: "start", RequestScopes: { ExcludedVMLists: ["Az*"] } }, field: /^RequestScopes$/ },
  { name: "malformed VM id", body: { Action: "start", RequestScopes: { VMLists: ["/subscriptions/x/vm1"] } }, field: /^RequestScopes\.VMLists\[0\]$/ },
  { name: "bad subscription GUID", body: { Action: "start", RequestScopes: { Subscriptions: ["/subscriptions/not-a-guid/"] } }, field: /^RequestScopes\.Subscriptions\[0\]$/ },
  { name: "malformed resource group", body: { Action: "start", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/rg-web`] } }, field: /^RequestScopes\.ResourceGroups\[0\]$/ },
  { name: "VMLists not an array", body: { Action: "start", RequestScopes: { VMLists: vm } }, field: /^RequestScopes\.VMLists$/ },
  { name: "non-string scope entry", body: { Action: "start", RequestScopes: { VMLists: [42] } }, field: /^RequestScopes\.VMLists\[0\]$/ },
  { name: "empty string entry", body: { Action: "start", RequestScopes: { VMLists: [""] } }, field: /^RequestScopes\.VMLists\[0\]$/ },
  { name: "lone * exclusion", body: { Action: "start", RequestScopes: { Subscriptions: [`/subscriptions/${SUB_A}/`], ExcludedVMLists: ["*"] } }, field: /^RequestScopes\.ExcludedVMLists\[0\]$/ },
  { name: "classic VM id", body: { Action: "start", EnableClassic: true, RequestScopes: { VMLists: [vm.replace("Microsoft.Compute", "Microsoft.ClassicCompute")] } }, field: /^RequestScopes\.VMLists\[0\]$/ },
  { name: "classic VM id", body: { Action: "start", RequestScopes: { VMLists: [`/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.ClassicCompute/virtualMachines/old`] } }, field: /^RequestScopes\.VMLists\[0\]$/ },
  { name: "Sequenced not boolean", body: { ...valid, Sequenced: "yes" }, field: /^Sequenced$/ },
  { name: "unknown top-level key", body: { ...valid, Actoin: "start" }, field: /^Actoin$/ },
  { name: "misspelt scope key", body: { Action: "start", RequestScopes: { VMList: [vm] } }, field: /VMList/ },
  { name: "too many scope entries", body: { Action: "start", RequestScopes: { VMLists: Array.from({ length: 1001 }, (_, i) => vmIdOf(SUB_A, "rg", `vm-${i}`)) } }, field: /^RequestScopes$/ },
  { name: "oversized body", raw: JSON.stringify({ ...valid, pad: "x".repeat(300_000) }), field: /^\(body\)$/, status: 413 },
  { name: "SequenceDelaySeconds out of range", body: { ...valid, SequenceDelaySeconds: -5 }, field: /^SequenceDelaySeconds$/ },
  { name: "text/plain body (a cross-site simple POST)", raw: JSON.stringify(valid), headers: { "content-type": "text/plain" }, field: /^content-type \(header\)$/, status: 415 },
  { name: "form-encoded body", raw: "Action=start", headers: { "content-type": "application/x-www-form-urlencoded" }, field: /^content-type \(header\)$/, status: 415 },
  { name: "no content type", raw: JSON.stringify(valid), headers: { "content-type": "" }, field: /^content-type \(header\)$/, status: 415 },
  { name: "Idempotency-Key with a comma (a repeated header)", body: valid, headers: { "Idempotency-Key": "a,b" }, field: /^Idempotency-Key/ },
  { name: "bad Idempotency-Key header", body: valid, headers: { "Idempotency-Key": "has spaces in it" }, field: /^Idempotency-Key/ },
];

describe("POST /api/Scheduled rejects bad input", () => {
  it.each(badInputs)("$name → 4xx problem naming the field", async ({ body, raw, field, status, headers }) => {
    const res = await world.callFunction("POST", "Scheduled", body, headers, raw);
    expect(res.status).toBe(status ?? 400);
    expect(res.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(res.body.status).toBe(res.status);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining([expect.stringMatching(field)]));
    for (const error of res.body.errors) expect(error.message.length).toBeGreaterThan(5);
  });

  it("reports every bad field of one body at once", async () => {
    const res = await world.callFunction("POST", "Scheduled", { Action: "restart", Sequenced: 3, RequestScopes: { VMLists: ["nope"], Subscriptions: ["/subscriptions/zz/"] } });
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["Action", "Sequenced", "RequestScopes.VMLists[0]", "RequestScopes.Subscriptions[0]"]));
  });

  it("enqueued and wrote nothing for any of them", async () => {
    const queues = QueueServiceClient.fromConnectionString(world.azurite.connectionString);
    const orchestration = queues.getQueueClient("orchestration-request");
    if (await orchestration.exists()) {
      const props = await orchestration.getProperties();
      expect(props.approximateMessagesCount).toBe(0);
    }
    const table = TableClient.fromConnectionString(world.azurite.connectionString, "requeststoretable", { allowInsecureConnection: true });
    const rows: unknown[] = [];
    try {
      for await (const row of table.listEntities()) rows.push(row);
    } catch (error) {
      expect((error as { statusCode?: number }).statusCode).toBe(404); // the table was never even created
    }
    expect(rows).toEqual([]);
    expect((await world.armRequests()).length).toBe(0);
  });
});

describe("function keys", () => {
  it("refuses a missing or wrong key with 401, accepts the key as header, and ?code= only on GET or with a JSON body", async () => {
    const body = { Action: "start", WhatIf: true, RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-web")] } };
    expect((await world.callFunction("POST", "Scheduled", body, { "x-functions-key": "" })).status).toBe(401);
    expect((await world.callFunction("POST", "Scheduled", body, { "x-functions-key": "wrong" })).status).toBe(401);
    expect((await world.callFunction("GET", "requests/00000000-0000-4000-8000-000000000000", undefined, { "x-functions-key": "wrong" })).status).toBe(401);
    // A form-like POST (what any web page can send cross-site without a preflight) must carry the header.
    const formPost = await fetch(`${world.hostUrl}/api/Scheduled?code=${FUNCTION_KEY}`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(body) });
    expect(formPost.status).toBe(401);
    expect(await formPost.text()).toMatch(/x-functions-key/);
    // A JSON POST (a webhook, which can only hold the key in its URL) may carry it in ?code=.
    const jsonPost = await requestJson(`${world.hostUrl}/api/Scheduled?code=${FUNCTION_KEY}`, { method: "POST", body });
    expect(jsonPost.status).toBe(200);
    const getWithCode = await requestJson(`${world.hostUrl}/api/requests/00000000-0000-4000-8000-000000000000?code=${FUNCTION_KEY}`);
    expect(getWithCode.status).toBe(404);
    const noKeyAtAll = await requestJson(`${world.hostUrl}/api/Scheduled`, { method: "POST", body });
    expect(noKeyAtAll.status).toBe(401);
  });
});

describe("GET /api/requests/{id}", () => {
  it("names bad parameters and answers 404 for an unknown request", async () => {
    const bad = await world.callFunction("GET", "requests/not-a-guid?outcome=Great&top=0");
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(["requestId (path)", "outcome (query)", "top (query)"]);
    const missing = await world.callFunction("GET", "requests/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.headers["content-type"]).toMatch(/problem\+json/);
  });
});
