/**
 * "Reader becomes operator", end to end with the simulator's RBAC: a principal with only read access to the app's
 * resource group reads everything it can (the AutoStop action group, as Azure would let it), and tries every door of
 * the app with what it found and with its own Entra token. No VM changes state and the simulator accepts no start or
 * deallocate. The Logic Apps' identity, by contrast, still runs a start through its token door.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_SUBSCRIPTION, CALLER_AUDIENCE, LOGIC_APPS_PRINCIPAL, World, generatedFleet } from "../../src/local/world";
import { requestJson } from "../../src/local/httpsJson";
import { SUB_A } from "../support/fleets";

const READER = "4eade400-0000-4000-8000-0000000004ea";
const APP_RG = `/subscriptions/${APP_SUBSCRIPTION}/resourceGroups/rg-startstop`;
const TARGET_RG = `/subscriptions/${SUB_A}/resourceGroups/rg-target`;
let world: World;

beforeAll(async () => {
  world = await World.start({
    fleet: generatedFleet([
      { subscriptionId: SUB_A, resourceGroup: "rg-target", location: "westeurope", count: 3, powerState: "running", namePrefix: "on-" },
      { subscriptionId: SUB_A, resourceGroup: "rg-target", location: "westeurope", count: 3, powerState: "deallocated", namePrefix: "off-" },
    ]),
    timeScale: 20,
  });
  // Reader on the app's resource group: every read action there, nothing else.
  world.armSimulator.rbac.assign({ principal: READER, scope: APP_RG, actions: ["*/read"] });
});
afterAll(async () => world?.stop());

const accepted = async () => (await world.armRequests()).filter((r) => ["start", "deallocate", "powerOff"].includes(r.operation ?? "") && r.status < 300);
const states = async () => Object.fromEntries((await world.vms()).map((v) => [v.name, v.powerState]));

describe("a Reader of the app's resource group", () => {
  it("can start or stop nothing: the action group it reads holds no key, and neither its findings nor its own token open a door", async () => {
    const before = await states();
    const armToken = world.entra.token({ audience: "https://management.azure.com/", objectId: READER });
    const ag = await requestJson(`${world.simUrl}${world.appSettings().AUTOSTOP_ACTION_GROUP_ID}?api-version=2023-01-01`, { headers: { authorization: `Bearer ${armToken}` }, ca: world.caCertPem });
    expect(ag.status).toBe(200);
    const receiver = ag.body.properties.webhookReceivers[0];
    expect(receiver).toMatchObject({ useAadAuth: true, identifierUri: CALLER_AUDIENCE });
    expect(JSON.stringify(ag.body)).not.toMatch(/code=|functions-key/i);

    // Everything it read, tried as a key on every key route and in the query; its own token on every token door.
    const found = [...new Set(JSON.stringify(ag.body).match(/[A-Za-z0-9_\-=]{16,}/g) ?? [])];
    const body = { Action: "stop", RequestScopes: { ResourceGroups: [`${TARGET_RG}/`] } };
    const own = world.entra.token({ audience: CALLER_AUDIENCE, objectId: READER });
    const attempts: [string, Promise<{ status: number }>][] = [
      ["AutoStopVM without a token", requestJson(receiver.serviceUri, { method: "POST", body: {} })],
      ["AutoStopVM with its own token", requestJson(receiver.serviceUri, { method: "POST", body: {}, headers: { authorization: `Bearer ${own}` } })],
      ["identity/Scheduled with its own token", requestJson(`${world.hostUrl}/api/identity/Scheduled`, { method: "POST", body, headers: { authorization: `Bearer ${own}` } })],
      ["identity/AutoStop with its own token", requestJson(`${world.hostUrl}/api/identity/AutoStop`, { method: "POST", body, headers: { authorization: `Bearer ${own}` } })],
      ["identity/Scheduled with its ARM token", requestJson(`${world.hostUrl}/api/identity/Scheduled`, { method: "POST", body, headers: { authorization: `Bearer ${armToken}` } })],
      ...found.slice(0, 20).flatMap((k): [string, Promise<{ status: number }>][] => [
        [`Scheduled with x-functions-key ${k.slice(0, 8)}…`, requestJson(`${world.hostUrl}/api/Scheduled`, { method: "POST", body, headers: { "x-functions-key": k } })],
        [`Scheduled with ?code=${k.slice(0, 8)}…`, requestJson(`${world.hostUrl}/api/Scheduled?code=${encodeURIComponent(k)}`, { method: "POST", body })],
      ]),
      // And straight to ARM with its own token: the target VMs are outside its scope.
      ["ARM deallocate", requestJson(`${world.simUrl}${TARGET_RG}/providers/Microsoft.Compute/virtualMachines/on-1/deallocate?api-version=2024-07-01`, { method: "POST", headers: { authorization: `Bearer ${armToken}` }, ca: world.caCertPem })],
    ];
    for (const [what, attempt] of attempts) {
      const status = (await attempt).status;
      expect([401, 403], `${what} answered ${status}`).toContain(status);
    }
    expect(await accepted()).toEqual([]);
    expect(await states()).toEqual(before);
  });

  it("while the Logic Apps' managed identity still starts VMs through its token door", async () => {
    const res = await world.callAs(LOGIC_APPS_PRINCIPAL, "POST", "identity/Scheduled", { Action: "start", RequestScopes: { ResourceGroups: [`${TARGET_RG}/`] } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const status = await world.eventually("the start to finish", async () => {
      const s = await world.callAs(LOGIC_APPS_PRINCIPAL, "GET", `identity/requests/${res.body.requestId}?top=1`);
      return ["Succeeded", "PartiallySucceeded", "Failed"].includes(s.body.state) ? s.body : undefined;
    });
    expect(status.state).toBe("Succeeded");
    expect(Object.values(await states()).every((s) => s === "running")).toBe(true);
    expect((await accepted()).filter((r) => r.operation === "start")).toHaveLength(3);
  });
});
