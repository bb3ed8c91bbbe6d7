/**
 * Checks compiled resource bodies (bicep-eval.ts) against Bicep's own type data for their type@apiVersion
 * (test/infra/bicep-types/, from Azure/bicep-types-az, MIT). Errors:
 * - a property the type does not have (on an object without additionalProperties);
 * - a value outside an enum: a union of string literals, and also an "extensible" one (literals plus any string,
 *   which `bicep build` lets pass): our infra uses only the listed values, and a value outside them is how a typo
 *   such as runtime.name 'nodejs' ships;
 * - a read-only property set; a required property missing (resources we deploy, not `existing` references);
 * - a value of the wrong kind (string for an integer, object for an array) or outside min/max length or value.
 * Values known only at deployment (Unknown) are not checked; each one skipped is counted, not hidden.
 * Warnings: a string that does not match the type's pattern (the data's regex dialect is .NET's).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Unknown, type DeployedResource } from "./bicep-eval";

export const TYPES_DIR = path.join(__dirname, "bicep-types");

type Ref = { $ref: string };
interface TypeNode {
  $type: string;
  name?: string;
  value?: string;
  body?: Ref;
  properties?: Record<string, { type: Ref; flags: number; description?: string }>;
  additionalProperties?: Ref;
  elements?: Ref[] | Record<string, Ref>;
  discriminator?: string;
  baseProperties?: Record<string, { type: Ref; flags: number }>;
  itemType?: Ref;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  pattern?: string;
}

const REQUIRED = 1;
const READ_ONLY = 2;

export interface Finding {
  severity: "error" | "warning";
  at: string;
  message: string;
}

interface TypeFile { file: string; types: TypeNode[] }

/** Every ResourceType in the type files, by lower-cased "type@apiVersion". */
export function loadTypeIndex(dir = TYPES_DIR): Map<string, { file: TypeFile; index: number }> {
  const index = new Map<string, { file: TypeFile; index: number }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name === "types.json") {
        const file: TypeFile = { file: path.relative(dir, full), types: JSON.parse(readFileSync(full, "utf8")) as TypeNode[] };
        file.types.forEach((t, i) => { if (t.$type === "ResourceType" && t.name) index.set(t.name.toLowerCase(), { file, index: i }); });
      }
    }
  };
  walk(dir);
  return index;
}

const resolve = (file: TypeFile, ref: Ref): TypeNode => {
  if (!ref.$ref.startsWith("#/")) throw new Error(`${file.file}: reference ${ref.$ref} to another file is not supported`);
  return file.types[Number(ref.$ref.slice(2))]!;
};

export class TypeChecker {
  readonly findings: Finding[] = [];
  /** Values not known before deployment, left unchecked. */
  unknownValues = 0;
  checkedValues = 0;

  constructor(private readonly index = loadTypeIndex()) {}

  check(resources: DeployedResource[]): Finding[] {
    for (const r of resources) this.resource(r);
    return this.findings;
  }

  private resource(r: DeployedResource): void {
    const where = `${r.file} ${r.symbol} (${r.type}@${r.apiVersion})`;
    const entry = this.index.get(`${r.type}@${r.apiVersion}`.toLowerCase());
    if (!entry) {
      this.findings.push({ severity: "error", at: where, message: "no type data for this type@apiVersion (copy it into test/infra/bicep-types/)" });
      return;
    }
    const body = resolve(entry.file, entry.file.types[entry.index]!.body!);
    const value = r.existing ? { name: r.body.name } : r.body;
    this.value(entry.file, body, value, where, "", !r.existing, r);
  }

  private report(severity: Finding["severity"], where: string, p: string, message: string, r: DeployedResource): void {
    // the line of the property, else of the closest enclosing one that was written
    let key = p;
    while (key && !r.lines.has(key)) {
      const up = key.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      key = up === key ? "" : up;
    }
    const line = r.lines.get(key);
    this.findings.push({ severity, at: `${where}${line ? ` line ${line}` : ""}`, message: `${p || "(body)"}: ${message}` });
  }

  private value(file: TypeFile, type: TypeNode, v: unknown, where: string, p: string, checkRequired: boolean, r: DeployedResource): void {
    if (v instanceof Unknown) { this.unknownValues++; return; }
    this.checkedValues++;
    switch (type.$type) {
      case "AnyType":
        return;
      case "StringType":
        if (typeof v !== "string") return this.report("error", where, p, `expected a string, got ${JSON.stringify(v)}`, r);
        if (type.minLength !== undefined && v.length < type.minLength) this.report("error", where, p, `shorter than ${type.minLength}`, r);
        if (type.maxLength !== undefined && v.length > type.maxLength) this.report("error", where, p, `longer than ${type.maxLength}`, r);
        if (type.pattern && !safeRegex(type.pattern)?.test(v)) this.report("warning", where, p, `${JSON.stringify(v)} does not match ${type.pattern}`, r);
        return;
      case "StringLiteralType":
        if (v !== type.value) this.report("error", where, p, `expected '${type.value}', got ${JSON.stringify(v)}`, r);
        return;
      case "IntegerType":
        if (typeof v !== "number" || !Number.isInteger(v)) return this.report("error", where, p, `expected an integer, got ${JSON.stringify(v)}`, r);
        if (type.minValue !== undefined && v < type.minValue) this.report("error", where, p, `below ${type.minValue}`, r);
        if (type.maxValue !== undefined && v > type.maxValue) this.report("error", where, p, `above ${type.maxValue}`, r);
        return;
      case "BooleanType":
        if (typeof v !== "boolean") this.report("error", where, p, `expected true or false, got ${JSON.stringify(v)}`, r);
        return;
      case "NullType":
        if (v !== null) this.report("error", where, p, "expected null", r);
        return;
      case "ArrayType":
        if (!Array.isArray(v)) return this.report("error", where, p, `expected an array, got ${JSON.stringify(v)}`, r);
        if (type.minLength !== undefined && v.length < type.minLength) this.report("error", where, p, `fewer than ${type.minLength} items`, r);
        if (type.maxLength !== undefined && v.length > type.maxLength) this.report("error", where, p, `more than ${type.maxLength} items`, r);
        v.forEach((item, i) => this.value(file, resolve(file, type.itemType!), item, where, `${p}[${i}]`, checkRequired, r));
        return;
      case "UnionType":
        return this.union(file, type, v, where, p, checkRequired, r);
      case "ObjectType":
        return this.object(file, type.properties ?? {}, type.additionalProperties, type.name, v, where, p, checkRequired, r);
      case "DiscriminatedObjectType": {
        if (typeof v !== "object" || v === null || Array.isArray(v)) return this.report("error", where, p, "expected an object", r);
        const key = (v as Record<string, unknown>)[type.discriminator!];
        const elements = type.elements as Record<string, Ref>;
        if (key instanceof Unknown) { this.unknownValues++; return; }
        const element = typeof key === "string" ? elements[key] : undefined;
        if (!element) return this.report("error", where, p ? `${p}.${type.discriminator}` : type.discriminator!, `expected one of ${Object.keys(elements).map((k) => `'${k}'`).join(" | ")}, got ${JSON.stringify(key)}`, r);
        const chosen = resolve(file, element);
        return this.object(file, { ...(type.baseProperties ?? {}), ...(chosen.properties ?? {}) }, chosen.additionalProperties, chosen.name, v, where, p, checkRequired, r);
      }
    }
    this.report("warning", where, p, `type ${type.$type} is not checked`, r);
  }

  private union(file: TypeFile, type: TypeNode, v: unknown, where: string, p: string, checkRequired: boolean, r: DeployedResource): void {
    const members = (type.elements as Ref[]).map((e) => resolve(file, e));
    const literals = members.filter((m) => m.$type === "StringLiteralType").map((m) => m.value!);
    if (typeof v === "string" && literals.length > 0) {
      if (!literals.includes(v)) this.report("error", where, p, `expected one of ${literals.map((l) => `'${l}'`).join(" | ")}, got '${v}'`, r);
      return;
    }
    // a non-string value: the first member it satisfies (no finding) wins; else the findings of the closest kind
    for (const m of members) {
      const probe = new TypeChecker(this.index);
      probe.value(file, m, v, where, p, checkRequired, r);
      if (!probe.findings.some((f) => f.severity === "error")) {
        this.findings.push(...probe.findings);
        this.unknownValues += probe.unknownValues;
        this.checkedValues += probe.checkedValues;
        return;
      }
    }
    this.report("error", where, p, `${JSON.stringify(v)} fits none of the union's members`, r);
  }

  private object(file: TypeFile, properties: Record<string, { type: Ref; flags: number }>, additional: Ref | undefined, name: string | undefined, v: unknown, where: string, p: string, checkRequired: boolean, r: DeployedResource): void {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return this.report("error", where, p, `expected an object (${name ?? "object"}), got ${JSON.stringify(v)}`, r);
    const obj = v as Record<string, unknown>;
    const byLower = new Map(Object.keys(properties).map((k) => [k.toLowerCase(), k]));
    for (const [key, value] of Object.entries(obj)) {
      const at = p ? `${p}.${key}` : key;
      const declared = properties[key] ?? (byLower.has(key.toLowerCase()) ? properties[byLower.get(key.toLowerCase())!] : undefined);
      if (!declared) {
        if (additional) this.value(file, resolve(file, additional), value, where, at, checkRequired, r);
        else this.report("error", where, at, `${name ?? "this object"} has no property '${key}' (it has: ${Object.keys(properties).filter((k) => !(properties[k]!.flags & READ_ONLY)).join(", ")})`, r);
        continue;
      }
      if (!properties[key]) this.report("warning", where, at, `written '${key}', the type data spells it '${byLower.get(key.toLowerCase())}'`, r);
      if (declared.flags & READ_ONLY) { this.report("error", where, at, "is read-only: Azure sets it", r); continue; }
      this.value(file, resolve(file, declared.type), value, where, at, checkRequired, r);
    }
    if (!checkRequired) return;
    for (const [key, prop] of Object.entries(properties)) {
      if (prop.flags & REQUIRED && !(prop.flags & READ_ONLY) && !(key in obj)) this.report("error", where, p ? `${p}.${key}` : key, `required by ${name ?? "this object"} but missing`, r);
    }
  }
}

function safeRegex(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}
