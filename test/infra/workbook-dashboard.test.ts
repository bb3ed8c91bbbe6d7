/**
 * The deployment's workbook and the dashboard's sign-in: the workbook is deployed by main.bicep and queries only the
 * telemetry the app really sends; App Service authentication is one parameter and leaves the app's other routes open
 * to their own callers.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allBicep, paramDefaults, REPO, resources, type BicepFile } from "./bicep";

let files: BicepFile[];
beforeAll(async () => {
  files = await allBicep();
});
const file = (rel: string) => files.find((f) => f.path === path.join("infra", rel))!;

describe("Bicep: the workbook", () => {
  it("is deployed by main.bicep over the app's Application Insights, as a shared workbook of valid JSON", () => {
    const main = file("main.bicep").text;
    expect(main).toMatch(/module workbook 'monitoring\/workbook\.bicep' = \{[\s\S]*?appInsightsId: telemetry\.outputs\.appInsightsId/);
    const wb = resources(file("monitoring/workbook.bicep")).find((r) => r.typeAndVersion === "Microsoft.Insights/workbooks@2023-06-01")!;
    expect(wb).toBeDefined();
    expect(wb.body.kind).toBe("shared");
    expect((wb.body.properties as any).category).toBe("workbook");
    const json = JSON.parse(readFileSync(path.join(REPO, "infra/monitoring/workbook.json"), "utf8"));
    expect(json.version).toBe("Notebook/1.0");
    const titles = json.items.filter((i: any) => i.type === 3).map((i: any) => i.content.title);
    expect(titles).toEqual(["Runs by outcome", "Failed VMs by reason", "Throttled ARM calls (429)", "Circuit breaker openings", "Savings (each GET /api/savings answer)"]);
  });

  it("queries only event names and log lines the app emits", () => {
    const json = JSON.parse(readFileSync(path.join(REPO, "infra/monitoring/workbook.json"), "utf8"));
    const queries: string[] = json.items.filter((i: any) => i.type === 3).map((i: any) => i.content.query);
    const telemetry = readFileSync(path.join(REPO, "src/telemetry/telemetry.ts"), "utf8");
    const declared = /export type TelemetryEventName = ([^;]+);/.exec(telemetry)![1]!.split("|").map((s) => s.trim().replace(/"/g, ""));
    for (const q of queries) for (const [, name] of q.matchAll(/name == "([^"]+)"/g)) expect(declared).toContain(name);
    // The properties read are the ones the events carry.
    expect(readFileSync(path.join(REPO, "src/telemetry/requestFinishedEvent.ts"), "utf8")).toMatch(/topErrorCodes: r\.topErrorCodes\.map\(\(e\) => `\$\{e\.code\}:\$\{e\.count\}`\)/);
    const savingsFn = readFileSync(path.join(REPO, "src/functions/Savings.ts"), "utf8");
    for (const p of ["moneyAvoided", "hoursAvoided", "currency", "from", "to", "unpricedVms"]) expect(savingsFn).toContain(`${p}:`);
    // The breaker line the workbook looks for is the one act.ts writes.
    expect(readFileSync(path.join(REPO, "src/engine/act.ts"), "utf8")).toContain("`Circuit breaker opened for ${domainName(row)} after ");
    expect(queries.some((q) => q.includes('startswith "Circuit breaker opened for "'))).toBe(true);
  });
});

describe("Bicep: the dashboard's sign-in", () => {
  it("is one parameter: App Service authentication with Entra ID only when dashboardAuthClientId is set", () => {
    expect(paramDefaults(file("main.bicep")).dashboardAuthClientId).toBe("");
    expect(file("main.bicep").text).toMatch(/module dashboardAuth 'app\/dashboard-auth\.bicep' = if \(!empty\(dashboardAuthClientId\)\)/);
    const auth = resources(file("app/dashboard-auth.bicep")).find((r) => r.typeAndVersion === "Microsoft.Web/sites/config@2024-04-01")!;
    expect(auth.body.name).toBe("authsettingsV2");
    const p = auth.body.properties as any;
    expect(p.platform.enabled).toBe(true);
    expect(p.identityProviders.azureActiveDirectory.enabled).toBe(true);
    // Not for the whole app: Logic Apps, AutoStop's webhook and key callers keep reaching their routes.
    expect(p.globalValidation).toEqual({ requireAuthentication: false, unauthenticatedClientAction: "AllowAnonymous" });
    expect(p.login.tokenStore.enabled).toBe(false);
  });
});
