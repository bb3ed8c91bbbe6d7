/**
 * Compiles our Bicep into the set of resources a deployment would send, as far as it can be known before Azure
 * answers: parameters, variables, loops, conditions, modules and their scopes are evaluated from the tree-sitter
 * parse; what only exists at deployment time (a resource's runtime properties, reference()) stays an Unknown that
 * names its expression. Used by the what-if style diff (provision-idempotence.test.ts) and the type check
 * (bicep-types.test.ts).
 *
 * Stand-ins, not Azure's algorithms: uniqueString() and guid() are deterministic hashes of their arguments (same
 * inputs, same output, which is what a diff of two compilations needs); newGuid() and utcNow() are fresh each
 * compilation, as in Azure.
 */
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Node } from "web-tree-sitter";
import { parseBicep, stringText } from "./bicep";

export class Unknown {
  constructor(readonly expr: string) {}
  toJSON(): { $unknown: string } {
    return { $unknown: this.expr };
  }
}

/** A resource symbol: compile-time id, name, type and apiVersion; anything else is read at deployment time. */
class ResourceRef {
  constructor(readonly symbol: string, readonly id: string, readonly name: string, readonly type: string, readonly apiVersion: string, readonly fullName: string) {}
}
class ModuleRef {
  constructor(readonly outputs: Record<string, unknown>) {}
}
interface Scope {
  subscriptionId: string;
  resourceGroup?: { name: string; location: string };
}
class ScopeRef {
  constructor(readonly scope: Scope, readonly value: Record<string, unknown>) {}
}
class Lambda {
  constructor(readonly call: (...args: unknown[]) => unknown) {}
}

export interface DeployedResource {
  /** Module path from main.bicep, e.g. "main.bicep > schedules/logic-app.bicep[ststv2_vms_Scheduled_start]". */
  at: string;
  file: string;
  symbol: string;
  type: string;
  apiVersion: string;
  id: string;
  existing: boolean;
  /** The body as it would be sent (Bicep keywords parent, scope, dependsOn removed). */
  body: Record<string, unknown>;
  /** Source position of each property path ("properties.state"), to point errors at a line. */
  lines: Map<string, number>;
}

export interface ParamDecl {
  name: string;
  type: string;
  secure: boolean;
  allowed?: unknown[];
  metadata?: Record<string, unknown>;
  hasDefault: boolean;
  defaultNode?: Node;
}

export interface Compilation {
  resources: DeployedResource[];
  outputs: Record<string, unknown>;
  /** Parameter values each module file got, with its declarations (to check @allowed, types). */
  params: { at: string; file: string; decl: ParamDecl; value: unknown }[];
}

export interface CompileOptions {
  subscriptionId: string;
  tenantId?: string;
  /** Deployment location (subscription-scope deployments have one too). */
  location?: string;
  /** For a file with targetScope resourceGroup (the default): the group it deploys into. */
  resourceGroup?: string;
}

const hash = (parts: unknown[]) => createHash("sha256").update(parts.map((p) => String(p)).join("\u0000")).digest();

function uniqueString(...parts: unknown[]): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const h = hash(parts);
  let out = "";
  for (let i = 0; i < 13; i++) out += alphabet[h[i]! % 32];
  return out;
}

function guid(...parts: unknown[]): string {
  const h = hash(parts).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const NOT_TERNARY = Symbol("not a ternary chain");
const named = (n: Node): Node[] => n.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
const field = (n: Node, name: string): Node | undefined => n.childForFieldName(name) ?? undefined;

const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;
const show = (v: unknown): string => (isUnknown(v) ? `\${${v.expr}}` : typeof v === "string" ? v : JSON.stringify(v));

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The innermost lambda on the leftmost path of a node (tree-sitter-bicep parses `e => e.name` as `(e => e).name`). */
function leftmostLambda(n: Node): Node | undefined {
  let cur: Node | undefined = n;
  while (cur) {
    if (cur.type === "lambda_expression") return cur;
    if (cur.type === "parenthesized_expression") return undefined;
    cur = field(cur, "object") ?? field(cur, "left") ?? field(cur, "condition") ?? (cur.type === "call_expression" ? undefined : undefined);
  }
  return undefined;
}

interface Env {
  file: FileContext;
  locals: Map<string, unknown>;
  /** A lambda node to read as its body (see leftmostLambda). */
  subst?: { lambda: Node; body: Node };
  /** An empty `()` to read as a call of `fn` (see arrayItems). */
  callSubst?: { paren: Node; fn: string };
}

class FileContext {
  readonly decls = new Map<string, Node>();
  readonly paramDecls = new Map<string, ParamDecl>();
  readonly values = new Map<string, unknown>();
  private readonly evaluating = new Set<string>();
  targetScope = "resourceGroup";

  constructor(
    readonly compiler: Compiler,
    readonly file: string,
    readonly root: Node,
    readonly at: string,
    readonly scope: Scope,
    readonly given: Record<string, unknown>,
  ) {
    let decorators: Node | undefined;
    for (const n of named(root)) {
      if (n.type === "decorators") { decorators = n; continue; }
      if (n.type === "target_scope_assignment") this.targetScope = stringText(named(n)[0]!);
      const id = named(n).find((c) => c.type === "identifier");
      if (id && ["parameter_declaration", "variable_declaration", "resource_declaration", "module_declaration", "output_declaration"].includes(n.type)) {
        if (n.type === "output_declaration") this.decls.set(`output:${id.text}`, n);
        else this.decls.set(id.text, n);
        if (n.type === "parameter_declaration") this.paramDecls.set(id.text, this.paramDecl(n, decorators));
      }
      decorators = undefined;
    }
  }

  private paramDecl(n: Node, decorators: Node | undefined): ParamDecl {
    const parts = named(n);
    const name = parts[0]!.text;
    const type = parts[1]!.text;
    const defaultNode = parts.length >= 3 ? parts[parts.length - 1] : undefined;
    const decl: ParamDecl = { name, type, secure: false, hasDefault: !!defaultNode, ...(defaultNode ? { defaultNode } : {}) };
    for (const d of decorators ? named(decorators) : []) {
      const call = named(d)[0]!;
      const fn = field(call, "function")?.text;
      const args = named(field(call, "arguments")!);
      const env: Env = { file: this, locals: new Map() };
      if (fn === "secure") decl.secure = true;
      if (fn === "allowed") decl.allowed = this.compiler.eval(args[0]!, env) as unknown[];
      if (fn === "metadata") decl.metadata = this.compiler.eval(args[0]!, env) as Record<string, unknown>;
    }
    return decl;
  }

  lookup(name: string, env: Env): unknown {
    if (env.locals.has(name)) return env.locals.get(name);
    if (this.values.has(name)) return this.values.get(name);
    const decl = this.decls.get(name);
    if (!decl) {
      if (name === "true" || name === "false") return name === "true";
      throw new Error(`${this.file}: unknown symbol ${name}`);
    }
    if (this.evaluating.has(name)) throw new Error(`${this.file}: ${name} depends on itself`);
    this.evaluating.add(name);
    try {
      const value = this.compiler.declaration(decl, this);
      this.values.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }
}

class Compiler {
  readonly resources: DeployedResource[] = [];
  readonly params: Compilation["params"] = [];
  constructor(readonly options: CompileOptions) {}

  async file(file: string, at: string, scope: Scope, given: Record<string, unknown>): Promise<FileContext> {
    const parsed = await parseBicep(file);
    const ctx = new FileContext(this, file, parsed.root, at, scope, given);
    for (const name of Object.keys(given)) if (!ctx.paramDecls.has(name)) throw new Error(`${at}: no parameter ${name} in ${path.basename(file)}`);
    // modules are compiled before anything reads them: collect them first (async), then evaluate everything
    await this.prepareModules(ctx);
    for (const [name, decl] of ctx.decls) {
      if (decl.type === "output_declaration") continue;
      ctx.lookup(name, { file: ctx, locals: new Map() });
    }
    for (const [name, decl] of ctx.paramDecls) this.params.push({ at, file: path.relative(path.dirname(file), file), decl, value: ctx.values.get(name) });
    return ctx;
  }

  private modulePlans = new Map<Node, { files: FileContext[] }>();

  private async prepareModules(ctx: FileContext): Promise<void> {
    // Evaluates module declarations in source order; params may read other modules' outputs, so each module's
    // dependencies are prepared before it (Bicep forbids cycles).
    const pending = [...ctx.decls.values()].filter((d) => d.type === "module_declaration");
    const done = new Set<Node>();
    const prepare = async (decl: Node): Promise<void> => {
      if (done.has(decl)) return;
      done.add(decl);
      for (const dep of this.moduleDependencies(decl, ctx)) await prepare(dep);
      const parts = named(decl);
      const rel = stringText(parts.find((c) => c.type === "string")!);
      const file = path.resolve(path.dirname(ctx.file), rel);
      const bodyNode = parts[parts.length - 1]!;
      const instances: { env: Env; body: Node }[] = [];
      this.expand(bodyNode, { file: ctx, locals: new Map() }, (env, body) => instances.push({ env, body }));
      const files: FileContext[] = [];
      for (const { env, body } of instances) {
        const obj = this.objectEntries(body);
        const name = this.eval(obj.get("name")!, env);
        const scopeValue = obj.has("scope") ? this.eval(obj.get("scope")!, env) : undefined;
        const scope = this.scopeOf(scopeValue, ctx.scope);
        const params = obj.has("params") ? (this.eval(obj.get("params")!, env) as Record<string, unknown>) : {};
        files.push(await this.file(file, `${ctx.at} > ${rel}[${show(name)}]`, scope, params));
      }
      this.modulePlans.set(decl, { files });
    };
    for (const decl of pending) await prepare(decl);
  }

  private moduleDependencies(decl: Node, ctx: FileContext): Node[] {
    const deps = new Set<Node>();
    const seen = new Set<string>();
    const visit = (n: Node) => {
      if (n.type === "identifier") {
        const target = ctx.decls.get(n.text);
        if (target && !seen.has(n.text)) {
          seen.add(n.text);
          if (target.type === "module_declaration" && target !== decl) deps.add(target);
          else if (target !== decl) visit(target);
        }
      }
      for (const c of n.namedChildren) if (c) visit(c);
    };
    for (const c of named(decl).slice(1)) visit(c);
    return [...deps];
  }

  private scopeOf(value: unknown, current: Scope): Scope {
    if (value === undefined) return current;
    if (value instanceof ScopeRef) return value.scope;
    if (value instanceof ResourceRef && value.type === "Microsoft.Resources/resourceGroups") {
      const sub = value.id.split("/")[2]!;
      return { subscriptionId: sub, resourceGroup: { name: value.name, location: this.options.location ?? "unknown" } };
    }
    throw new Error(`module scope ${show(value)} is not a subscription or resource group`);
  }

  objectEntries(n: Node): Map<string, Node> {
    const out = new Map<string, Node>();
    for (const p of named(n)) {
      if (p.type !== "object_property") continue;
      const [key, value] = named(p);
      out.set(key!.type === "string" ? stringText(key!) : key!.text, value!);
    }
    return out;
  }

  /** Calls `each` once per instance of a declaration body: a plain object, `if (...)`, `[for ...]`. */
  expand(n: Node, env: Env, each: (env: Env, body: Node) => void): void {
    if (n.type === "object") return each(env, n);
    if (n.type === "if_statement") {
      const [cond, body] = named(n);
      const c = this.eval(cond!, env);
      if (isUnknown(c)) throw new Error(`condition ${cond!.text} is not known before deployment`);
      if (c) this.expand(body!, env, each);
      return;
    }
    if (n.type === "for_statement") {
      for (const local of this.loop(n, env)) this.expand(field(n, "body")!, local, each);
      return;
    }
    throw new Error(`unexpected declaration body ${n.type}`);
  }

  private loop(n: Node, env: Env): Env[] {
    const parts = named(n);
    const params = parts[0]!;
    const collectionNode = parts[1]!;
    let itemName: string | undefined;
    let indexName: string | undefined;
    if (params.type === "for_loop_parameters") {
      itemName = named(params).find((c) => c.type === "loop_variable")?.text;
      indexName = named(params).find((c) => c.type === "loop_enumerator")?.text;
    } else itemName = params.text;
    const collection = this.eval(collectionNode, env);
    if (!Array.isArray(collection)) throw new Error(`loop over ${collectionNode.text}: not an array known before deployment`);
    return collection.map((item, i) => {
      const locals = new Map(env.locals);
      if (itemName) locals.set(itemName, item);
      if (indexName) locals.set(indexName, i);
      return { ...env, locals };
    });
  }

  declaration(decl: Node, ctx: FileContext): unknown {
    const env: Env = { file: ctx, locals: new Map() };
    const parts = named(decl);
    switch (decl.type) {
      case "parameter_declaration": {
        const name = parts[0]!.text;
        const p = ctx.paramDecls.get(name)!;
        if (name in ctx.given) return ctx.given[name];
        if (p.defaultNode) return this.eval(p.defaultNode, env);
        throw new Error(`${ctx.at}: parameter ${name} has no value`);
      }
      case "variable_declaration":
        return this.eval(parts[parts.length - 1]!, env);
      case "output_declaration":
        return this.eval(parts[parts.length - 1]!, env);
      case "module_declaration": {
        const plan = this.modulePlans.get(decl)!;
        const refs = plan.files.map((f) => new ModuleRef(this.outputsOf(f)));
        return named(decl).some((c) => c.type === "for_statement") ? refs : refs[0];
      }
      case "resource_declaration":
        return this.resource(decl, ctx);
    }
    throw new Error(`unexpected declaration ${decl.type}`);
  }

  outputsOf(f: FileContext): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, decl] of f.decls) if (key.startsWith("output:")) out[key.slice(7)] = this.declaration(decl, f);
    return out;
  }

  private resource(decl: Node, ctx: FileContext): unknown {
    const parts = named(decl);
    const symbol = parts[0]!.text;
    const typeAndVersion = stringText(parts.find((c) => c.type === "string")!);
    const [type, apiVersion] = typeAndVersion.split("@") as [string, string];
    const existing = decl.children.some((c) => c?.type === "existing");
    const bodyNode = parts[parts.length - 1]!;
    const refs: ResourceRef[] = [];
    this.expand(bodyNode, { file: ctx, locals: new Map() }, (env, body) => {
      const entries = this.objectEntries(body);
      const evaluated: Record<string, unknown> = {};
      const lines = new Map<string, number>([["", body.startPosition.row + 1]]);
      for (const [key, node] of entries) {
        if (key === "dependsOn") continue;
        evaluated[key] = this.eval(node, env);
        this.recordLines(node, key, lines);
      }
      const parent = evaluated.parent as ResourceRef | undefined;
      const scopeRes = evaluated.scope;
      delete evaluated.parent;
      delete evaluated.scope;
      // A name may come from a module parameter that is a runtime value upstream (a principal id): ARM knows it when
      // the module deploys; here it stays the expression, which is as stable as the value.
      const name = isUnknown(evaluated.name) ? `unknown-${hash([evaluated.name.expr]).toString("hex").slice(0, 12)}` : evaluated.name;
      if (typeof name !== "string") throw new Error(`${ctx.file}: ${symbol} has no name`);
      const fullName = parent ? `${parent.fullName}/${name}` : name;
      const id = this.resourceId(type, fullName, ctx, scopeRes);
      const ref = new ResourceRef(symbol, id, name, type, apiVersion, fullName);
      refs.push(ref);
      this.resources.push({ at: ctx.at, file: path.relative(path.resolve(__dirname, "../.."), ctx.file), symbol, type, apiVersion, id, existing, body: evaluated, lines });
    });
    return bodyNode.type === "for_statement" ? refs : refs[0];
  }

  private recordLines(n: Node, prefix: string, lines: Map<string, number>): void {
    lines.set(prefix, n.startPosition.row + 1);
    if (n.type === "object") for (const [k, v] of this.objectEntries(n)) this.recordLines(v, `${prefix}.${k}`, lines);
    if (n.type === "array") named(n).forEach((item, i) => this.recordLines(item, `${prefix}[${i}]`, lines));
  }

  private resourceId(type: string, fullName: string, ctx: FileContext, scopeRes: unknown): string {
    const [ns, ...types] = type.split("/");
    const names = fullName.split("/");
    const segments = types.map((t, i) => `${t}/${names[i] ?? ""}`).join("/");
    if (scopeRes instanceof ResourceRef) return `${scopeRes.id}/providers/${ns}/${segments}`;
    if (scopeRes instanceof ScopeRef) return `${scopeRes.value.id as string}/providers/${ns}/${segments}`;
    const sub = `/subscriptions/${ctx.scope.subscriptionId}`;
    if (type === "Microsoft.Resources/resourceGroups") return `${sub}/resourceGroups/${fullName}`;
    if (ctx.scope.resourceGroup) return `${sub}/resourceGroups/${ctx.scope.resourceGroup.name}/providers/${ns}/${segments}`;
    return `${sub}/providers/${ns}/${segments}`;
  }

  eval(n: Node, env: Env): unknown {
    if (env.subst && n.id === env.subst.lambda.id) return this.eval(env.subst.body, env);
    if (env.callSubst && n.id === env.callSubst.paren.id) return this.call(n, env, env.callSubst.fn, []);
    switch (n.type) {
      case "string": return this.string(n, env);
      case "number": return Number(n.text);
      case "boolean": return n.text === "true";
      case "null": return null;
      case "identifier": return env.file.lookup(n.text, env);
      case "parenthesized_expression": return this.eval(named(n)[0]!, env);
      case "array": return this.arrayItems(n, env);
      case "for_statement": return this.forValues(n, env);
      case "object": {
        const out: Record<string, unknown> = {};
        for (const [k, v] of this.objectEntries(n)) out[k] = this.eval(v, env);
        return out;
      }
      case "unary_expression": {
        const v = this.eval(field(n, "argument") ?? named(n)[0]!, env);
        const op = n.children[0]!.text;
        if (isUnknown(v)) return new Unknown(n.text);
        return op === "!" ? !v : op === "-" ? -(v as number) : v;
      }
      case "binary_expression": return this.binary(n, env);
      case "ternary_expression": {
        const c = this.eval(field(n, "condition")!, env);
        if (isUnknown(c)) return new Unknown(n.text);
        return this.eval(field(n, c ? "consequence" : "alternative")!, env);
      }
      case "member_expression": {
        const reassociated = this.ternaryChain(n, env);
        if (reassociated !== NOT_TERNARY) return reassociated;
        const obj = this.eval(field(n, "object")!, env);
        const safe = n.children.some((c) => c?.type === ".?");
        if (safe && (obj === null || obj === undefined)) return null;
        return this.member(obj, field(n, "property")!.text, n, safe);
      }
      case "subscript_expression": {
        const reassociated = this.ternaryChain(n, env);
        if (reassociated !== NOT_TERNARY) return reassociated;
        const obj = this.eval(field(n, "object")!, env);
        const safe = n.children.some((c) => c?.type === "?");
        if (safe && (obj === null || obj === undefined)) return null;
        const index = this.eval(field(n, "index")!, env);
        if (isUnknown(index)) return new Unknown(n.text);
        return this.member(obj, index as string | number, n, safe);
      }
      case "call_expression": return this.call(n, env);
      case "lambda_expression": return this.lambda(n, n, env);
    }
    throw new Error(`${env.file.file}:${n.startPosition.row + 1}: expression ${n.type} (${n.text.slice(0, 40)}) is not modelled`);
  }

  /**
   * tree-sitter-bicep reads `c ? a : b.x.y` as `(c ? a : b).x.y`; Bicep means `c ? a : (b.x.y)`. For a member or
   * index chain whose leftmost part is an unparenthesized ternary: the consequence alone, or the chain on the alternative.
   */
  private ternaryChain(n: Node, env: Env): unknown {
    let cur: Node | undefined = field(n, "object");
    while (cur && (cur.type === "member_expression" || cur.type === "subscript_expression")) cur = field(cur, "object");
    if (!cur || cur.type !== "ternary_expression" || env.subst?.lambda.id === cur.id) return NOT_TERNARY;
    const c = this.eval(field(cur, "condition")!, env);
    if (isUnknown(c)) return new Unknown(n.text);
    if (c) return this.eval(field(cur, "consequence")!, env);
    return this.eval(n, { ...env, subst: { lambda: cur, body: field(cur, "alternative")! } });
  }

  /**
   * tree-sitter-bicep reads `[ subscription().id, x ]` as the items `subscription` and `().id`: an identifier
   * followed by an item whose leftmost part is an empty `()` is that call.
   */
  private arrayItems(n: Node, env: Env): unknown[] {
    const items = named(n);
    const out: unknown[] = [];
    for (let i = 0; i < items.length; i++) {
      const c = items[i]!;
      const next = items[i + 1];
      let paren: Node | undefined = next;
      while (paren && paren.type !== "parenthesized_expression") paren = field(paren, "object") ?? field(paren, "left");
      if (c.type === "identifier" && next && paren && named(paren).length === 0 && !env.file.decls.has(c.text)) {
        out.push(this.eval(next, { ...env, callSubst: { paren, fn: c.text } }));
        i++;
      } else if (c.type === "for_statement") out.push(...this.forValues(c, env));
      else out.push(this.eval(c, env));
    }
    return out;
  }

  private forValues(n: Node, env: Env): unknown[] {
    return this.loop(n, env).map((local) => this.eval(field(n, "body")!, local));
  }

  private string(n: Node, env: Env): unknown {
    let out = "";
    let unknown = false;
    for (const c of n.children) {
      if (!c || c.type === "'" || c.type === "'''") continue;
      if (c.type === "escape_sequence") out += ({ n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", $: "$" } as Record<string, string>)[c.text.slice(1)] ?? c.text.slice(1);
      else if (c.type === "interpolation") {
        const v = this.eval(named(c)[0]!, env);
        if (isUnknown(v)) unknown = true;
        out += isUnknown(v) ? `\${${v.expr}}` : typeof v === "string" ? v : JSON.stringify(v);
      } else out += c.text;
    }
    return unknown ? new Unknown(out) : out;
  }

  private member(obj: unknown, key: string | number, n: Node, safe = false): unknown {
    if (isUnknown(obj)) return new Unknown(`${obj.expr}.${key}`);
    if (obj instanceof ResourceRef) {
      if (key === "id" || key === "name" || key === "type" || key === "apiVersion") return obj[key];
      return new Unknown(`${obj.symbol}(${obj.fullName}).${key}`);
    }
    if (obj instanceof ModuleRef) return key === "outputs" ? obj.outputs : new Unknown(n.text);
    if (obj instanceof ScopeRef) return obj.value[key as string];
    if (obj === null || obj === undefined) throw new Error(`${n.text}: member ${key} of ${String(obj)}`);
    const v = (obj as Record<string | number, unknown>)[key];
    if (v === undefined && safe) return null;
    if (v === undefined) throw new Error(`${n.text}: no member ${key}`);
    return v;
  }

  private binary(n: Node, env: Env): unknown {
    const op = field(n, "operator")!.text;
    const left = this.eval(field(n, "left")!, env);
    if (op === "&&" && left === false) return false;
    if (op === "||" && left === true) return true;
    if (op === "??") return left ?? this.eval(field(n, "right")!, env);
    const right = this.eval(field(n, "right")!, env);
    if (isUnknown(left) || isUnknown(right)) return new Unknown(n.text);
    switch (op) {
      case "==": return deepEqual(left, right);
      case "!=": return !deepEqual(left, right);
      case "=~": return String(left).toLowerCase() === String(right).toLowerCase();
      case "!~": return String(left).toLowerCase() !== String(right).toLowerCase();
      case "&&": return Boolean(left) && Boolean(right);
      case "||": return Boolean(left) || Boolean(right);
      case "<": return (left as number) < (right as number);
      case "<=": return (left as number) <= (right as number);
      case ">": return (left as number) > (right as number);
      case ">=": return (left as number) >= (right as number);
      case "+": return (left as number) + (right as number);
      case "-": return (left as number) - (right as number);
      case "*": return (left as number) * (right as number);
      case "/": return Math.trunc((left as number) / (right as number));
      case "%": return (left as number) % (right as number);
    }
    throw new Error(`operator ${op} is not modelled`);
  }

  private lambda(outer: Node, lambdaNode: Node, env: Env): Lambda {
    const parts = named(lambdaNode);
    const body = parts[parts.length - 1]!;
    const paramNodes = parts.slice(0, -1).flatMap((p) => (p.type === "identifier" ? [p.text] : named(p).map((c) => c.text)));
    return new Lambda((...args) => {
      const locals = new Map(env.locals);
      paramNodes.forEach((p, i) => locals.set(p, args[i]));
      return this.eval(outer, { ...env, locals, subst: { lambda: lambdaNode, body } });
    });
  }

  private call(n: Node, env: Env, fnName?: string, argList?: Node[]): unknown {
    const argNodes = argList ?? named(field(n, "arguments")!);
    const fn = (fnName ?? field(n, "function")!.text).replace(/^sys\./, "");
    const args = argNodes.map((a) => {
      const l = leftmostLambda(a);
      return l ? this.lambda(a, l, env) : this.eval(a, env);
    });
    const known = args.every((a) => !isUnknown(a));
    const str = (i: number) => args[i] as string;
    const arr = (i: number) => args[i] as unknown[];
    const fnOf = (i: number) => (args[i] as Lambda).call;
    const scope = env.file.scope;
    switch (fn) {
      case "newGuid": return randomUUID();
      case "utcNow": return new Date().toISOString();
      case "subscription": {
        const sub = args.length ? str(0) : scope.subscriptionId;
        return new ScopeRef({ subscriptionId: sub }, { id: `/subscriptions/${sub}`, subscriptionId: sub, tenantId: this.options.tenantId ?? "tenant" });
      }
      case "resourceGroup": {
        const sub = args.length === 2 ? str(0) : scope.subscriptionId;
        const name = args.length === 2 ? str(1) : args.length === 1 ? str(0) : scope.resourceGroup?.name;
        if (!name) throw new Error("resourceGroup() outside a resource group deployment");
        const location = scope.resourceGroup?.location ?? this.options.location ?? "unknown";
        return new ScopeRef({ subscriptionId: sub, resourceGroup: { name, location } }, { id: `/subscriptions/${sub}/resourceGroups/${name}`, name, location });
      }
      case "tenant": return { tenantId: this.options.tenantId ?? "tenant" };
      case "deployment": return { name: "deployment" };
      case "loadJsonContent": return JSON.parse(readFileSync(path.resolve(path.dirname(env.file.file), str(0)), "utf8"));
      case "loadTextContent": return readFileSync(path.resolve(path.dirname(env.file.file), str(0)), "utf8");
    }
    if (!known) return new Unknown(`${fn}(${args.map(show).join(", ")})`);
    switch (fn) {
      case "uniqueString": return uniqueString(...args);
      case "guid": return guid(...args);
      case "toLower": return str(0).toLowerCase();
      case "toUpper": return str(0).toUpperCase();
      case "trim": return str(0).trim();
      case "take": return typeof args[0] === "string" ? str(0).slice(0, args[1] as number) : arr(0).slice(0, args[1] as number);
      case "skip": return typeof args[0] === "string" ? str(0).slice(args[1] as number) : arr(0).slice(args[1] as number);
      case "split": return str(0).split(str(1));
      case "join": return arr(0).join(str(1));
      case "replace": return str(0).split(str(1)).join(str(2));
      case "startsWith": return str(0).toLowerCase().startsWith(str(1).toLowerCase());
      case "endsWith": return str(0).toLowerCase().endsWith(str(1).toLowerCase());
      case "string": return typeof args[0] === "string" ? args[0] : JSON.stringify(args[0]);
      case "int": return Math.trunc(Number(args[0]));
      case "bool": return args[0] === true || args[0] === "true";
      case "json": return JSON.parse(str(0));
      case "base64": return Buffer.from(str(0), "utf8").toString("base64");
      case "base64ToString": return Buffer.from(str(0), "base64").toString("utf8");
      case "empty": return args[0] === null || (typeof args[0] === "string" || Array.isArray(args[0]) ? (args[0] as string).length === 0 : typeof args[0] === "object" ? Object.keys(args[0] as object).length === 0 : false);
      case "length": return typeof args[0] === "object" && !Array.isArray(args[0]) && args[0] !== null ? Object.keys(args[0] as object).length : (args[0] as string).length;
      case "contains": return Array.isArray(args[0]) ? arr(0).some((x) => deepEqual(x, args[1])) : typeof args[0] === "string" ? str(0).includes(str(1)) : Object.prototype.hasOwnProperty.call(args[0], str(1));
      case "first": return typeof args[0] === "string" ? str(0)[0] : arr(0)[0];
      case "last": return typeof args[0] === "string" ? str(0).slice(-1) : arr(0)[arr(0).length - 1];
      case "concat": return args.every(Array.isArray) ? args.flatMap((a) => a as unknown[]) : args.map((a) => String(a)).join("");
      case "union": {
        if (args.every(Array.isArray)) return [...new Map(args.flatMap((a) => a as unknown[]).map((x) => [JSON.stringify(x), x])).values()];
        return Object.assign({}, ...(args as object[]));
      }
      case "filter": return arr(0).filter((x, i) => fnOf(1)(x, i));
      case "map": return arr(0).map((x, i) => fnOf(1)(x, i));
      case "toObject": return Object.fromEntries(arr(0).map((x) => [fnOf(1)(x), args[2] ? fnOf(2)(x) : x]));
      case "items": return Object.entries(args[0] as object).map(([key, value]) => ({ key, value }));
      case "range": return Array.from({ length: args[1] as number }, (_, i) => (args[0] as number) + i);
      case "subscriptionResourceId": {
        const hasSub = /^[0-9a-f-]{36}$/i.test(str(0)) && !str(0).includes("/");
        const sub = hasSub ? str(0) : scope.subscriptionId;
        const [type, ...names] = hasSub ? (args.slice(1) as string[]) : (args as string[]);
        const [ns, ...types] = type!.split("/");
        return `/subscriptions/${sub}/providers/${ns}/${types.map((t, i) => `${t}/${names[i]}`).join("/")}`;
      }
      case "resourceId": {
        const [type, ...names] = args as string[];
        const [ns, ...types] = type!.split("/");
        return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup?.name}/providers/${ns}/${types.map((t, i) => `${t}/${names[i]}`).join("/")}`;
      }
      case "format": return str(0).replace(/\{(\d+)\}/g, (_, i) => show(args[Number(i) + 1]));
    }
    throw new Error(`${env.file.file}:${n.startPosition.row + 1}: function ${fn}() is not modelled`);
  }
}

/** Compiles `main` with the given parameter values (as ARM receives them) into the resources it deploys. */
export async function compileBicep(main: string, params: Record<string, unknown>, options: CompileOptions): Promise<Compilation> {
  const compiler = new Compiler(options);
  const scope: Scope = { subscriptionId: options.subscriptionId, ...(options.resourceGroup ? { resourceGroup: { name: options.resourceGroup, location: options.location ?? "unknown" } } : {}) };
  const ctx = await compiler.file(main, path.basename(main), scope, params);
  return { resources: compiler.resources, outputs: compiler.outputsOf(ctx), params: compiler.params };
}

/** The parameters main.bicep declares (name → declaration), for the azd parameter model. */
export async function paramDeclarations(main: string): Promise<Map<string, ParamDecl>> {
  const compiler = new Compiler({ subscriptionId: "00000000-0000-0000-0000-000000000000" });
  const parsed = await parseBicep(main);
  return new FileContext(compiler, main, parsed.root, "main", { subscriptionId: "x" }, {}).paramDecls;
}
