#!/usr/bin/env node
// Fails when src/ has an import cycle. Type-only imports count too: a cycle between two modules' types is still two
// modules that cannot be understood (or moved) one without the other. Usage: node scripts/import-cycles.mjs [dir]
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? "src");
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (/\.(ts|mts|cts)$/.test(name) && !name.endsWith(".d.ts")) files.push(full);
  }
})(root);

const importPattern = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;

function resolve(from, spec) {
  if (!spec.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ""));
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts"), base]) if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  return undefined;
}

const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const deps = new Set();
  for (const m of text.matchAll(importPattern)) {
    const target = resolve(file, m[1] ?? m[2] ?? m[3]);
    if (target && graph !== undefined) deps.add(target);
  }
  graph.set(file, deps);
}

// Tarjan's strongly connected components: every component of more than one module (or a module importing itself) is a cycle.
let index = 0;
const stack = [];
const state = new Map();
const cycles = [];
function connect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).has(v)) cycles.push(component);
  }
}
for (const v of graph.keys()) if (!state.has(v)) connect(v);

const rel = (f) => path.relative(process.cwd(), f);
if (cycles.length === 0) {
  console.log(`import cycles: none in ${files.length} modules of ${rel(root)}`);
} else {
  for (const c of cycles) console.error(`import cycle: ${c.map(rel).sort().join(" ⇄ ")}`);
  console.error(`${cycles.length} import cycle(s) in ${rel(root)}: break each one (move the shared piece to a module both import)`);
  process.exit(1);
}
