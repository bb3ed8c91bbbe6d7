/**
 * The simulator enforces RBAC like ARM: an action at a scope, inherited downwards, 403 AuthorizationFailed
 * with ARM's message otherwise; a principal with no assignment may do everything.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestJson } from "../../src/local/httpsJson";
import { principalOf } from "../../src/local/arm-simulator/principal";
import { requiredAction } from "../../src/local/arm-simulator/rbac";
import { startArmSimulator } from "../../src/local/arm-simulator/index";

const SUB = "11111111-1111-1111-1111-111111111111";
const TOKEN = "rbac-test-token";
const ME = principalOf(TOKEN);
const vm = (name: string, rg = "rg-a") => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

let sim: Awaited<ReturnType<typeof startArmSimulator>>;
beforeAll(async () => {
  sim = await startArmSimulator({
    fleet: {
      subscriptions: [{ subscriptionId: SUB, resourceGroups: [
        { name: "rg-a", location: "westeurope", vms: [{ name: "a1", powerState: "deallocated" }] },
        { name: "rg-b", location: "westeurope", vms: [{ name: "b1", powerState: "deallocated" }] },
      ] }],
    } as never,
  });
});
afterAll(async () => sim?.close());
beforeEach(async () => {
  await control("DELETE", "rbac");
});

const arm = (method: string, path: string, token = TOKEN) =>
  requestJson(`${sim.url}${path}?api-version=2024-07-01`, { method, headers: { authorization: `Bearer ${token}` }, ca: sim.caCertPem, ...(method === "POST" ? { rawBody: "" } : {}) });
const control = (method: string, route: string, body?: unknown) => requestJson(`${sim.url}/_sim/${route}`, { method, body, ca: sim.caCertPem });

describe("ARM simulator RBAC", () => {
  it("maps every simulated route to its RBAC action and scope", () => {
    expect(requiredAction("GET", `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines`)).toEqual({ action: "Microsoft.Compute/virtualMachines/read", scope: `/subscriptions/${SUB}` });
    expect(requiredAction("GET", `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines`)).toEqual({ action: "Microsoft.Compute/virtualMachines/read", scope: `/subscriptions/${SUB}/resourceGroups/rg-a` });
    expect(requiredAction("GET", vm("a1"))?.action).toBe("Microsoft.Compute/virtualMachines/read");
    expect(requiredAction("GET", `${vm("a1")}/instanceView`)?.action).toBe("Microsoft.Compute/virtualMachines/instanceView/read");
    expect(requiredAction("POST", `${vm("a1")}/start`)).toEqual({ action: "Microsoft.Compute/virtualMachines/start/action", scope: vm("a1") });
    expect(requiredAction("POST", `${vm("a1")}/deallocate`)?.action).toBe("Microsoft.Compute/virtualMachines/deallocate/action");
    expect(requiredAction("POST", `${vm("a1")}/powerOff`)?.action).toBe("Microsoft.Compute/virtualMachines/powerOff/action");
    expect(requiredAction("GET", `/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/x`)?.action).toBe("Microsoft.Compute/locations/operations/read");
    expect(requiredAction("GET", "/subscriptions/x/providers/Microsoft.Web/sites")).toBeUndefined();
  });

  it("without any assignment everything is allowed", async () => {
    expect((await arm("GET", vm("a1"))).status).toBe(200);
  });

  it("a resource-group assignment covers its VMs, not the subscription list nor another group", async () => {
    const put = await control("PUT", "rbac", { principal: ME, scope: `/subscriptions/${SUB}/resourceGroups/rg-a`, actions: ["Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/start/action"] });
    expect(put.status).toBe(200);
    expect((await arm("GET", vm("a1"))).status).toBe(200);
    expect((await arm("GET", `/subscriptions/${SUB}/resourceGroups/RG-A/providers/Microsoft.Compute/virtualMachines`)).status).toBe(200);
    expect((await arm("POST", `${vm("a1")}/start`)).status).toBe(202);

    const deny = await arm("POST", `${vm("a1")}/deallocate`);
    expect(deny.status).toBe(403);
    expect(deny.body.error).toEqual({
      code: "AuthorizationFailed",
      message: `The client '${ME}' with object id '${ME}' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/deallocate/action' over scope '${vm("a1")}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    });
    const other = await arm("GET", vm("b1", "rg-b"));
    expect(other.status, JSON.stringify(other.body)).toBe(403);
    expect((await arm("GET", `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines`)).status).toBe(403);
    // the refused start changed nothing
    expect((await control("GET", `vms/${encodeURIComponent(vm("b1", "rg-b"))}`)).body.powerState).toBe("deallocated");
    // another principal is not affected
    expect((await arm("GET", vm("b1", "rg-b"), "someone-else")).status).toBe(200);
  });

  it("a subscription assignment with a wildcard covers everything below; principals seen are listed", async () => {
    await control("PUT", "rbac", [{ principal: ME, scope: `/subscriptions/${SUB}`, actions: ["Microsoft.Compute/virtualMachines/*"] }]);
    expect((await arm("GET", `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines`)).status).toBe(200);
    expect((await arm("GET", `${vm("b1", "rg-b")}/instanceView`)).status).toBe(200);
    expect((await control("GET", "rbac")).body.assignments).toHaveLength(1);
    expect((await control("GET", "rbac/principals")).body.principals).toContain(ME);
    expect((await control("PUT", "rbac", { principal: ME, scope: "rg-a", actions: [] })).status).toBe(400);
  });
});
