#!/usr/bin/env node
// npm run schedules -- import-logic-app <file> [<file>...] [--name <schedule-name>]
// Turns v2 Logic Apps (their Recurrence and the Action they post) into one schedule and prints it as the body of
// PUT /api/schedules/{name}; notes go to stderr. The work is src/schedules/logicAppImport.ts (built into dist/).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { importLogicApps } = require(path.join(import.meta.dirname, "../dist/src/schedules/logicAppImport.js"));

const [command, ...rest] = process.argv.slice(2);
if (command !== "import-logic-app") {
  console.error("usage: npm run schedules -- import-logic-app <logic-app.json> [<more.json>...] [--name <schedule-name>]");
  process.exit(2);
}
const at = rest.indexOf("--name");
const name = at >= 0 ? rest[at + 1] : undefined;
const files = rest.filter((_, i) => at < 0 || (i !== at && i !== at + 1));
if (files.length === 0) {
  console.error("import-logic-app: name at least one Logic App JSON file");
  process.exit(2);
}
let docs;
try {
  docs = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
} catch (error) {
  console.error(`import-logic-app: ${error.message}`);
  process.exit(1);
}
const fromFile = path.basename(files[0], path.extname(files[0])).replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 63);
const scheduleName = name ?? (fromFile || "imported");
const result = importLogicApps(docs, scheduleName);
if (!result.ok) {
  for (const e of result.errors) console.error(`import-logic-app: ${e}`);
  process.exit(1);
}
for (const n of result.notes) console.error(`note: ${n}`);
process.stdout.write(`${JSON.stringify(result.schedule, null, 2)}\n`);
