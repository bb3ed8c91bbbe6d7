/**
 * Reads the repo's Bicep with tree-sitter-bicep (through web-tree-sitter, wasm shipped in the npm package, so it
 * works offline) and turns literal parts of it into plain values the infra tests can check.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { Language, Parser, type Node } from "web-tree-sitter";

export const REPO = path.resolve(__dirname, "../..");
export const INFRA = path.join(REPO, "infra");

export interface BicepFile {
  path: string;
  text: string;
  root: Node;
}

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const wasm = readFileSync(require.resolve("tree-sitter-bicep/tree-sitter-bicep.wasm"));
    const p = new Parser();
    p.setLanguage(await Language.load(wasm));
    return p;
  })();
  return parser;
}

export function bicepPaths(dir = INFRA): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return bicepPaths(full);
    return name.endsWith(".bicep") ? [full] : [];
  });
}

export async function parseBicep(file: string): Promise<BicepFile> {
  const text = readFileSync(file, "utf8");
  const tree = (await bicepParser()).parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
  return { path: path.relative(REPO, file), text, root: tree.rootNode };
}

export async function allBicep(): Promise<BicepFile[]> {
  return Promise.all(bicepPaths().map(parseBicep));
}

export function descendants(node: Node, type: string): Node[] {
  const found: Node[] = [];
  const walk = (n: Node) => {
    if (n.type === type) found.push(n);
    for (const c of n.children) if (c) walk(c);
  };
  walk(node);
  return found;
}

/** Nodes tree-sitter could not fit into the grammar. */
export function syntaxProblems(file: BicepFile): string[] {
  const problems: string[] = [];
  const walk = (n: Node) => {
    if (n.isError || n.isMissing) problems.push(`${file.path}:${n.startPosition.row + 1}:${n.startPosition.column + 1} ${n.isMissing ? "missing" : "error"} near ${JSON.stringify(n.text.slice(0, 60))}`);
    for (const c of n.children) if (c) walk(c);
  };
  walk(file.root);
  return problems;
}

/** A string literal's text as written, interpolations kept as `${...}`, escapes resolved. */
export function stringText(node: Node): string {
  return node.children
    .filter((c): c is Node => !!c && c.type !== "'" && c.type !== "'''")
    .map((c) => (c.type === "escape_sequence" ? c.text.slice(1) : c.text))
    .join("");
}

/** Literal Bicep values as JSON; any expression becomes `{ $expr: "<source>" }`. */
export function literal(node: Node): unknown {
  switch (node.type) {
    case "string":
      return stringText(node);
    case "number":
      return Number(node.text);
    case "boolean":
      return node.text === "true";
    case "null":
      return null;
    case "array":
      return node.namedChildren.filter((c): c is Node => !!c && c.type !== "comment").map(literal);
    case "object": {
      const out: Record<string, unknown> = {};
      for (const p of node.namedChildren) {
        if (!p || p.type !== "object_property") continue;
        const [key, value] = p.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
        out[key!.type === "string" ? stringText(key!) : key!.text] = literal(value!);
      }
      return out;
    }
    default:
      return { $expr: node.text };
  }
}

export interface ResourceDecl {
  file: string;
  symbol: string;
  typeAndVersion: string;
  body: Record<string, unknown>;
}

export function resources(file: BicepFile): ResourceDecl[] {
  return descendants(file.root, "resource_declaration").map((r) => {
    const named = r.namedChildren.filter((c): c is Node => !!c && c.type !== "comment");
    const typeNode = named.find((c) => c.type === "string")!;
    const bodyNode = named.find((c) => c.type === "object" || c.type === "for_statement" || c.type === "if_statement");
    const objectNode = bodyNode?.type === "object" ? bodyNode : bodyNode ? descendants(bodyNode, "object")[0] : undefined;
    return { file: file.path, symbol: named[0]!.text, typeAndVersion: stringText(typeNode), body: objectNode ? (literal(objectNode) as Record<string, unknown>) : {} };
  });
}

/** `param name type = default` defaults that are literals. */
export function paramDefaults(file: BicepFile): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of descendants(file.root, "parameter_declaration")) {
    const named = p.namedChildren.filter((c): c is Node => !!c && c.type !== "comment" && c.type !== "decorators");
    const value = named[named.length - 1];
    if (named.length >= 3 && value) out[named[0]!.text] = literal(value);
  }
  return out;
}
