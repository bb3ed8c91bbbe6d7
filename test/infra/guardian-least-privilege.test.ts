/**
 * The guardian's least privilege, over main.bicep as compiled (bicep-eval.ts): its own identity holds exactly its
 * roles (Table Data Contributor on the self-update table, Table Data Reader on the heartbeat table, self-update's
 * deploy role on the main app only, Blob Data Owner on its own storage, telemetry publisher), nothing on a resource group
 * or subscription; it is its own azd service, not self-updated; and the main app's identity holds nothing on the
 * guardian, so a bad release cannot switch its own guardian off.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileBicep, type Compilation } from "./bicep-eval";
import { INFRA } from "./bicep";

const SUB = "11111111-0000-4000-8000-000000000001";
const params = (autoUpdateMode: string) => ({
  environmentName: "prod", location: "westeurope", targetScopes: "/subscriptions/22222222-0000-4000-8000-000000000002", autoUpdateMode,
  releaseFeedUrl: "https://api.github.com/repos/example/startstop/releases",
});
const ROLE = {
  blobDataOwner: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", tableDataContributor: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
  tableDataReader: "76199698-9eea-4c19-bc75-cec21354c6b6", metricsPublisher: "3913510d-42f4-4e42-8a64-420c390055eb",
};

const compile = (mode: string) => compileBicep(path.join(INFRA, "main.bicep"), params(mode), { subscriptionId: SUB, location: "westeurope" });
/** Each role assignment as "<scope, relative to the resource group> <role>", for principals whose identity name matches. */
function assignments(set: Compilation, principal: RegExp): string[] {
  const rg = `/subscriptions/${SUB}/resourceGroups/rg-prod`;
  // The deployment's name token, from the main app's name (func-<token>).
  const token = String(set.resources.find((r) => r.type === "Microsoft.Web/sites" && (r.body.tags as any)?.["azd-service-name"] === "api")!.body.name).slice("func-".length);
  return set.resources.filter((r) => r.type === "Microsoft.Authorization/roleAssignments" && principal.test(JSON.stringify((r.body.properties as any).principalId)))
    .map((r) => {
      const scope = r.id.split("/providers/Microsoft.Authorization/roleAssignments/")[0]!.replace(rg, "~").replaceAll(token, "<token>");
      const role = String((r.body.properties as any).roleDefinitionId).split("/").pop()!;
      return `${scope} ${Object.entries(ROLE).find(([, id]) => id === role)?.[0] ?? "custom:" + role}`;
    }).sort();
}
const selfUpdateRole = (set: Compilation) => set.resources.find((r) => r.type === "Microsoft.Authorization/roleDefinitions" && /self-update/.test(JSON.stringify(r.body)))!;
const settingsOf = (set: Compilation, service: string) => {
  const site = set.resources.find((r) => r.type === "Microsoft.Web/sites" && (r.body.tags as any)?.["azd-service-name"] === service)!;
  return Object.fromEntries(((site.body.properties as any).siteConfig.appSettings as { name: string; value: unknown }[]).map((s) => [s.name, s.value]));
};

describe("the guardian's least privilege (main.bicep as compiled)", () => {
  it("with self-update on, its identity holds exactly its five roles, none on a resource group or subscription", async () => {
    const set = await compile("apply");
    const role = selfUpdateRole(set);
    expect((role.body.properties as any).permissions[0].actions).toEqual(["Microsoft.Web/sites/extensions/write", "Microsoft.Web/sites/extensions/read"]);
    const roleGuid = role.id.split("/").pop()!;
    expect(assignments(set, /id-guardian-/)).toEqual([
      "~/providers/Microsoft.Insights/components/appi-<token> metricsPublisher",
      "~/providers/Microsoft.Storage/storageAccounts/st<token>/tableServices/default/tables/autoupdaterequestdetailsstoretable tableDataContributor",
      "~/providers/Microsoft.Storage/storageAccounts/st<token>/tableServices/default/tables/heartbeatstoretable tableDataReader",
      "~/providers/Microsoft.Storage/storageAccounts/stg<token> blobDataOwner",
      `~/providers/Microsoft.Web/sites/func-<token> custom:${roleGuid}`,
    ]);
  });

  it("with self-update off, it may not deploy at all", async () => {
    const set = await compile("notify");
    expect(assignments(set, /id-guardian-/).filter((a) => a.includes("Microsoft.Web/sites"))).toEqual([]);
  });

  it("it is its own azd service, never self-updated, watching the main app; the main app's identity holds nothing on it", async () => {
    const set = await compile("apply");
    const guardian = settingsOf(set, "guardian");
    expect(JSON.stringify(guardian.AZURE_CLIENT_ID)).toMatch(/id-guardian-/);
    expect(guardian.APP_RESOURCE_ID).toMatch(/\/providers\/Microsoft\.Web\/sites\/func-[a-z0-9]+$/);
    expect(Object.keys(guardian).filter((k) => /AUTO_UPDATE|RELEASE_FEED|SIGNING/.test(k))).toEqual([]);
    expect(Object.values(guardian).filter((v) => typeof v === "string" && /AccountKey=|SharedAccessSignature|[?&]sig=/i.test(v))).toEqual([]);
    const appIdentity = /"identity\(id-(?!guardian-|logic-)[a-z0-9]+\)/;
    expect(assignments(set, appIdentity).length).toBeGreaterThan(3); // the pattern does find the app's own roles
    expect(assignments(set, appIdentity).filter((a) => /stg<token>|func-guardian-/.test(a))).toEqual([]);
  });
});
