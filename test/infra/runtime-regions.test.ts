/**
 * Runtime and regions: Node 22 on Flex, engines accepting 20 and 22, a workflow that tests on both, and `location`
 * limited to the Flex Consumption regions docs/deploy.md lists (with azd's location metadata).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { paramDeclarations } from "./bicep-eval";
import { INFRA, REPO } from "./bicep";
import { compileBicep } from "./bicep-eval";

const read = (rel: string) => readFileSync(path.join(REPO, rel), "utf8");

describe("runtime and regions", () => {
  it("the function app runs Node 22; engines accept 20 and 22; the workflow tests on both", async () => {
    const set = await compileBicep(path.join(INFRA, "main.bicep"), { environmentName: "prod", location: "westeurope", targetScopes: "/subscriptions/22222222-0000-4000-8000-000000000002" }, { subscriptionId: "11111111-0000-4000-8000-000000000001" });
    const site = set.resources.find((r) => r.type === "Microsoft.Web/sites")!;
    expect((site.body.properties as any).functionAppConfig.runtime).toEqual({ name: "node", version: "22" });
    const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines.node;
    expect(engines.split("||").map((r) => r.trim().match(/^\^(\d+)\.0\.0$/)?.[1])).toEqual(["20", "22"]);
    expect(read(".github/workflows/ci.yml")).toMatch(/node-version: \[20, 22\][\s\S]*node-version: \$\{\{ matrix\.node-version \}\}/);
  });

  it("location is limited to the Flex Consumption regions docs/deploy.md lists, with azd's location metadata", async () => {
    const location = (await paramDeclarations(path.join(INFRA, "main.bicep"))).get("location")!;
    expect(location.metadata).toEqual({ azd: { type: "location" } });
    const documented = read("docs/deploy.md").split("<!-- flex-regions:start -->")[1]!.split("<!-- flex-regions:end -->")[0]!
      .split(/[\s,]+/).filter(Boolean);
    expect([...(location.allowed as string[])].sort()).toEqual(documented.sort());
    expect(documented).toContain("westeurope");
    expect(documented.length).toBeGreaterThanOrEqual(25);
  });
});
