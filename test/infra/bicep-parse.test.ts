/** Every Bicep file parses with tree-sitter-bicep: no error and no missing node (the Bicep CLI runs in CI only). */
import { describe, expect, it } from "vitest";
import { allBicep, bicepPaths, parseBicep, syntaxProblems } from "./bicep";
import path from "node:path";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

describe("Bicep syntax", () => {
  it("finds the deployment: main.bicep and one module per concern", () => {
    const files = bicepPaths().map((f) => path.relative(path.join(__dirname, "../../infra"), f));
    expect(files).toContain("main.bicep");
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it("every .bicep file parses without error or missing nodes", async () => {
    const problems = (await allBicep()).flatMap(syntaxProblems);
    expect(problems).toEqual([]);
  });

  it("every module starts with a one-line comment saying what it is for", async () => {
    for (const file of await allBicep()) expect(file.text, file.path).toMatch(/^\/\/ \S.{10,}\n/);
  });

  it("the check can fail: a broken file is reported with its position", async () => {
    const bad = path.join(mkdtempSync(path.join(tmpdir(), "bicep-")), "bad.bicep");
    writeFileSync(bad, "// broken\nresource x 'Microsoft.Foo/bars@2020-01-01' = {\n  name: 'a'\n");
    expect(syntaxProblems(await parseBicep(bad))).not.toEqual([]);
  });
});
