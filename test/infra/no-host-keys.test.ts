/**
 * "Reader becomes operator" closed at the source: over the parsed Bicep tree (tree-sitter), no resource creates a host
 * key, no resource property holds a key (a `?code=`, an x-functions-key header, listKeys, a key parameter), AutoStop's
 * webhook is a secure webhook, and every Logic App call carries a managed-identity token. The checker is also run on
 * the old, leaky shape of the files, so it is shown to find what it looks for.
 */
import { describe, expect, it } from "vitest";
import type { Node } from "web-tree-sitter";
import { allBicep, descendants, stringText, type BicepFile } from "./bicep";

const KEYISH = /[?&]code=|x-functions-key|listKeys\s*\(|\/host\/default|functionKeys|masterKey|systemKeys/i;

function propertyName(p: Node): string {
  const key = p.namedChildren.find((c): c is Node => !!c && c.type !== "comment")!;
  return key.type === "string" ? stringText(key) : key.text;
}

/** Every way a key could reach a resource property, with file:line. */
export function hostKeyFindings(files: BicepFile[]): string[] {
  const out: string[] = [];
  const at = (f: BicepFile, n: Node) => `${f.path}:${n.startPosition.row + 1}`;
  for (const f of files) {
    const keyParams = descendants(f.root, "parameter_declaration").map((p) => p.namedChildren.find((c) => c?.type === "identifier")?.text ?? "").filter((n) => /key/i.test(n));
    for (const r of descendants(f.root, "resource_declaration")) {
      const type = stringText(r.namedChildren.find((c): c is Node => !!c && c.type === "string")!);
      if (/^Microsoft\.Web\/sites\/(host|hostruntime)\b/i.test(type)) out.push(`${at(f, r)} creates a host key (${type})`);
      for (const p of descendants(r, "object_property")) {
        const value = p.namedChildren.filter((c): c is Node => !!c && c.type !== "comment")[1];
        if (!value) continue;
        if (KEYISH.test(value.text) && value.type !== "object" && value.type !== "array") out.push(`${at(f, p)} property ${propertyName(p)} holds a key: ${value.text.slice(0, 80)}`);
        for (const k of keyParams) if (new RegExp(`\\b${k}\\b`).test(value.text) && value.type !== "object" && value.type !== "array") out.push(`${at(f, p)} property ${propertyName(p)} uses the key parameter ${k}`);
      }
      // Webhook receivers must be secure webhooks (an Entra token instead of a key in the URL).
      for (const o of descendants(r, "object")) {
        const props = o.namedChildren.filter((c): c is Node => !!c && c.type === "object_property");
        const names = new Map(props.map((p) => [propertyName(p), p.namedChildren.filter((c): c is Node => !!c && c.type !== "comment")[1]!.text]));
        if (names.has("serviceUri") && names.get("useAadAuth") !== "true") out.push(`${at(f, o)} webhook receiver without useAadAuth: true`);
        if (names.get("type") === "'Http'" && !/authentication/.test(o.text)) out.push(`${at(f, o)} Logic App HTTP action without authentication`);
      }
    }
  }
  return out;
}

describe("Bicep: a Reader of the app's resource group finds no key", () => {
  it("0 host keys in any resource property the Bicep writes", async () => {
    const files = await allBicep();
    expect(files.length).toBeGreaterThan(10);
    expect(hostKeyFindings(files)).toEqual([]);
  });

  it("the checker finds the leaks it looks for (the shape of the files before the fix)", async () => {
    const { Language, Parser } = await import("web-tree-sitter");
    await Parser.init();
    const parser = new Parser();
    parser.setLanguage(await Language.load(require("node:fs").readFileSync(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm"))));
    const leaky = `
@secure()
param webhookFunctionKey string
resource k 'Microsoft.Web/sites/host/functionKeys@2024-04-01' = {
  name: '\${site.name}/default/autostopwebhook'
  properties: { name: 'autostopwebhook', value: webhookFunctionKey }
}
resource ag 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'x'
  properties: { webhookReceivers: [ { name: 'AutoStopVM', serviceUri: 'https://x/api/AutoStopVM?code=\${webhookFunctionKey}', useCommonAlertSchema: true } ] }
}
resource wf 'Microsoft.Logic/workflows@2019-05-01' = {
  name: 'w'
  properties: { definition: { actions: { Post: { type: 'Http', inputs: { uri: 'https://x/api/Scheduled', headers: { 'x-functions-key': listKeys('\${site.id}/host/default', '2022-03-01').functionKeys.default } } } } } }
}`;
    const tree = parser.parse(leaky)!;
    const findings = hostKeyFindings([{ path: "leaky.bicep", text: leaky, root: tree.rootNode }]);
    expect(findings.join("\n")).toMatch(/creates a host key/);
    expect(findings.join("\n")).toMatch(/uses the key parameter webhookFunctionKey/);
    expect(findings.join("\n")).toMatch(/serviceUri holds a key/);
    expect(findings.join("\n")).toMatch(/webhook receiver without useAadAuth/);
    expect(findings.join("\n")).toMatch(/x-functions-key holds a key/);
    expect(findings.join("\n")).toMatch(/HTTP action without authentication/);
  });
});
