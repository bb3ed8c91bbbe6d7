/**
 * Our Bicep against Azure's own type data, offline (bicep-types-check.ts): main.bicep compiled with every branch on
 * (alerts, self-update, a subscription and a resource-group target) gives 0 errors; each seeded mistake in
 * fixtures/types-bad/ is caught with its property named. Warnings are printed, not hidden.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileBicep, type Compilation } from "./bicep-eval";
import { TypeChecker, type Finding } from "./bicep-types-check";
import { INFRA } from "./bicep";

const SUB = "11111111-0000-4000-8000-000000000001";
const everyBranch = {
  environmentName: "prod",
  location: "westeurope",
  targetScopes: `/subscriptions/22222222-0000-4000-8000-000000000002/,/subscriptions/${SUB}/resourceGroups/rg-vms`,
  alertEmails: "ops@example.com,oncall@example.com",
  autoUpdateMode: "apply",
  releaseFeedUrl: "https://api.github.com/repos/example/startstop/releases",
  callerAudience: "api://startstop-prod",
  appRegistrationObjectId: "44444444-0000-4000-8000-000000000004",
  secureWebhookPrincipalId: "55555555-0000-4000-8000-000000000005",
  newScheduleState: "Enabled",
};

let main: Compilation;
let findings: Finding[];
let checker: TypeChecker;
beforeAll(async () => {
  main = await compileBicep(path.join(INFRA, "main.bicep"), everyBranch, { subscriptionId: SUB, location: "westeurope" });
  checker = new TypeChecker();
  findings = checker.check(main.resources);
});

async function check(fixture: string): Promise<Finding[]> {
  const set = await compileBicep(path.join(__dirname, "fixtures/types-bad", fixture), {}, { subscriptionId: SUB, resourceGroup: "rg-bad", location: "westeurope" });
  return new TypeChecker().check(set.resources).filter((f) => f.severity === "error");
}

describe("Bicep against Azure's type data (Azure/bicep-types-az)", () => {
  it("every resource of main.bicep, with every branch on, has 0 errors (warnings listed)", () => {
    const types = new Set(main.resources.map((r) => `${r.type}@${r.apiVersion}`));
    expect(types.size).toBeGreaterThanOrEqual(15);
    expect(main.resources.length).toBeGreaterThanOrEqual(30);
    const warnings = findings.filter((f) => f.severity === "warning");
    if (warnings.length) console.log(`type-check warnings:\n${warnings.map((w) => `  ${w.at}: ${w.message}`).join("\n")}`);
    console.log(`type check: ${main.resources.length} resources, ${types.size} type@versions, ${checker.checkedValues} values checked, ${checker.unknownValues} known only at deployment`);
    expect(findings.filter((f) => f.severity === "error")).toEqual([]);
  });

  it("every parameter value main.bicep passes is one its @allowed lists", () => {
    const bad = main.params.filter((p) => p.decl.allowed && typeof p.value === "string" && !p.decl.allowed.includes(p.value)).map((p) => `${p.at} ${p.decl.name}=${String(p.value)}`);
    expect(bad).toEqual([]);
  });

  it.each([
    ["function-app-config-typo.bicep", /properties\.functionAppConfig\.scaleAndConcurency: .*has no property 'scaleAndConcurency'/],
    ["runtime-name.bicep", /properties\.functionAppConfig\.runtime\.name: expected one of .*'node'.* got 'nodejs'/],
    ["action-group-receiver.bicep", /properties\.webhookReceivers\[0\]\.retryCount: .*has no property 'retryCount'/],
    ["read-only.bicep", /properties\.provisioningState: is read-only/],
    ["required-missing.bicep", /sku: required/],
    ["required-missing.bicep", /kind: required/],
    ["required-missing.bicep", /properties\.state: expected one of .*'Enabled'.* got 'On'/],
  ])("catches the seeded mistake in %s (%s)", async (fixture, expected) => {
    const errors = await check(fixture);
    expect(errors.map((e) => e.message).join("\n")).toMatch(expected);
    expect(errors.every((e) => /line \d+/.test(e.at))).toBe(true);
  });

  it("every seeded sample is caught: 100 % of fixtures/types-bad", async () => {
    const fixtures = readdirSync(path.join(__dirname, "fixtures/types-bad")).filter((f) => f.endsWith(".bicep"));
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
    for (const f of fixtures) expect((await check(f)).length, f).toBeGreaterThan(0);
  });
});
