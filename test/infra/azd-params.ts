/**
 * How azd turns main.parameters.json, the azd environment and its config into the parameter values ARM receives,
 * modelled from azd's source (Azure/azure-dev, tag azure-dev-cli_1.31.2,
 * https://github.com/Azure/azure-dev/blob/azure-dev-cli_1.31.2/cli/azd/pkg/infra/provisioning/bicep/bicep_provider.go:
 * loadParameters, ensureParameters, armParameterFileValue), for string parameters:
 * - `${VAR}` / `${VAR=default}` are substituted from the environment; a parameter whose variable is unset (and
 *   has no `=default`) is left out of the file;
 * - a non-empty value is sent; an empty one is sent only when the Bicep default is a different string;
 * - otherwise a parameter with a Bicep default is left to ARM (which evaluates the default, newGuid() included);
 * - otherwise the value saved in the environment's config (infra.parameters.<name>) is used;
 * - otherwise a parameter with `@metadata({ azd: { type: 'generate' } })` is generated once and saved there.
 */
import { randomInt } from "node:crypto";
import type { ParamDecl } from "./bicep-eval";
import { stringText } from "./bicep";

export interface AzdEnvironment {
  /** .azure/<env>/.env */
  values: Record<string, string>;
  /** .azure/<env>/config.json, flattened ("infra.parameters.<name>"). */
  config: Record<string, unknown>;
}

function substitute(text: string, values: Record<string, string>): { value: string; unset: boolean } {
  let unset = false;
  const value = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(=([^}]*))?\}/g, (_, name: string, hasDefault: string | undefined, fallback: string | undefined) => {
    if (name in values) return values[name]!;
    if (hasDefault) return fallback ?? "";
    unset = true;
    return "";
  });
  return { value, unset };
}

function generate(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("");
}

/** The parameter values azd sends (those it leaves to ARM's defaults are absent); may add to env.config. */
export function azdParameters(decls: Map<string, ParamDecl>, parametersFile: string, env: AzdEnvironment): Record<string, unknown> {
  const file = JSON.parse(parametersFile) as { parameters: Record<string, { value: unknown }> };
  const fromFile: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(file.parameters)) {
    if (typeof p.value !== "string") { fromFile[name] = p.value; continue; }
    const { value, unset } = substitute(p.value, env.values);
    if (value === "" && unset) continue;
    fromFile[name] = value;
  }
  const out: Record<string, unknown> = {};
  for (const name of [...decls.keys()].sort()) {
    const decl = decls.get(name)!;
    if (name in fromFile) {
      const v = fromFile[name];
      const literalDefault = decl.defaultNode?.type === "string" ? stringText(decl.defaultNode) : undefined;
      if (decl.type !== "string" || (typeof v === "string" && v !== "") || (literalDefault !== undefined && v !== literalDefault)) {
        out[name] = decl.type === "int" && typeof v === "string" ? Number(v) : decl.type === "bool" && typeof v === "string" ? v === "true" : v;
        continue;
      }
    }
    if (decl.hasDefault) continue;
    const key = `infra.parameters.${name}`;
    if (key in env.config) { out[name] = env.config[key]; continue; }
    const azd = decl.metadata?.azd as { type?: string; config?: { length?: number } } | undefined;
    if (azd?.type === "generate" && decl.type === "string") {
      env.config[key] = out[name] = generate(azd.config?.length ?? 16);
      continue;
    }
    throw new Error(`azd would prompt for ${name} (no value in the environment, no default)`);
  }
  return out;
}
