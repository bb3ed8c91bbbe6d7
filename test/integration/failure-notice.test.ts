/**
 * Failure notices and the RequestFinished event, end to end: a run that ends PartiallySucceeded sends exactly one notice
 * to the webhook (content checked: state, error code, the failed VM, the status URL) and one RequestFinished event; a
 * webhook answering 500 is tried a bounded number of times and never holds up the run; the webhook URL (a secret)
 * never appears in the host's logs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A, rgId } from "../support/fleets";

const SECRET_PATH = "/webhookb2/4f1c9e5a-secret-path/IncomingWebhook/abc123";
let world: World;
let receiver: Server;
const notices: Array<{ path: string; body: any; answered: number }> = [];
let answer = 200;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      notices.push({ path: req.url ?? "", body: JSON.parse(text), answered: answer });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
  world = await World.start({
    fleet: generatedFleet([
      { subscriptionId: SUB_A, resourceGroup: "rg-n1", location: "westeurope", count: 6, powerState: "deallocated", namePrefix: "n1-" },
      { subscriptionId: SUB_A, resourceGroup: "rg-n2", location: "westeurope", count: 4, powerState: "deallocated", namePrefix: "n2-" },
    ]),
    timeScale: 10,
    settings: { NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}${SECRET_PATH}`, APP_BASE_URL: "https://func-ops.example.net" },
  });
  // Two VMs of each group are refused for good: the runs end PartiallySucceeded.
  await world.sim("POST", "faults", { match: { operation: "start", namePattern: "*-0001" }, effect: { type: "http", status: 400, code: "OperationNotAllowed", message: "Operation could not be completed as it results in exceeding approved Total Regional Cores quota." } });
  await world.sim("POST", "faults", { match: { operation: "start", namePattern: "*-0002" }, effect: { type: "http", status: 400, code: "OperationNotAllowed", message: "Operation could not be completed as it results in exceeding approved Total Regional Cores quota." } });
});
afterAll(async () => {
  await world?.stop();
  await new Promise((ok) => receiver?.close(ok));
});

const finishedEvents = (requestId: string) => world.hostLogs().filter((l) => l.includes('"name":"RequestFinished"') && l.includes(requestId));

describe("failure notices", () => {
  it("a run that ends PartiallySucceeded sends exactly one notice and one RequestFinished event", async () => {
    const res = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-n1")] } });
    const done = await world.waitForRequest(res.body.requestId, 60_000);
    expect(done.state).toBe("PartiallySucceeded");
    await new Promise((r) => setTimeout(r, 1500));
    const mine = notices.filter((n) => n.body.text.includes(res.body.requestId));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.path).toBe(SECRET_PATH);
    const text: string = mine[0]!.body.text;
    expect(text).toMatch(/start request PartiallySucceeded\*\* \(2 of 6 VM\(s\) failed; 4 reached their state/);
    expect(text).toContain("OperationNotAllowed × 2");
    expect(text).toMatch(/rg-n1\/n1-0001: OperationNotAllowed: .*exceeding approved Total Regional Cores quota/);
    expect(text).toContain(`https://func-ops.example.net/api/requests/${res.body.requestId}`);

    const events = finishedEvents(res.body.requestId);
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.slice(events[0]!.indexOf("{")))).toMatchObject({
      name: "RequestFinished", requestId: res.body.requestId, action: "start", state: "PartiallySucceeded", total: 6, failed: 2, succeeded: 4,
      topErrorCodes: "OperationNotAllowed:2", statusUrl: `https://func-ops.example.net/api/requests/${res.body.requestId}`,
    });
  }, 90_000);

  it("a webhook answering 500 is tried a bounded number of times; the run still ends; the URL stays out of the logs", async () => {
    answer = 500;
    const res = await world.callFunction("POST", "Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-n2")] } });
    const done = await world.waitForRequest(res.body.requestId, 60_000);
    expect(done.state).toBe("PartiallySucceeded");
    await world.eventually("the notifier to give up", () => world.hostLogs().some((l) => l.includes(res.body.requestId) && l.includes("giving up")), { everyMs: 200 });
    const mine = notices.filter((n) => n.body.text.includes(res.body.requestId));
    expect(mine.map((n) => n.answered)).toEqual([500, 500, 500]);
    expect(world.hostLogs().find((l) => l.includes(res.body.requestId) && l.includes("giving up"))).toMatch(/http:\/\/127\.0\.0\.1:\d+ failed 3 time\(s\), last: HTTP 500/);
    expect(world.hostLogs().filter((l) => l.includes("secret-path"))).toEqual([]);
    // A run that succeeds sends nothing.
    answer = 200;
    const before = notices.length;
    await world.sim("DELETE", "faults");
    const ok = await world.callFunction("POST", "Scheduled", { Action: "stop", RequestScopes: { ResourceGroups: [rgId(SUB_A, "rg-n2")] } });
    expect((await world.waitForRequest(ok.body.requestId, 60_000)).state).toBe("Succeeded");
    await new Promise((r) => setTimeout(r, 1000));
    expect(notices.length).toBe(before);
    expect(finishedEvents(ok.body.requestId)).toHaveLength(1);
  }, 90_000);
});
