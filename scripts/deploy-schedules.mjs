#!/usr/bin/env node
// azd's postdeploy hook (azure.yaml): PUTs every schedule of schedules.json ({"<name>": {<schedule body>}, ...}) to
// the deployed app, so named schedules are deployed with the infra. Reads FUNCTION_BASE_URL (an azd output) and the
// function key from FUNCTION_KEY, or else from `az functionapp keys list` for FUNCTION_APP_NAME in AZURE_RESOURCE_GROUP.
// No schedules.json: nothing to do. A schedule the API refuses stops the hook with the API's problem (fields named).
// Usage: node scripts/deploy-schedules.mjs [schedules.json]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const file = process.argv[2] ?? "schedules.json";
if (!existsSync(file)) {
  console.log(`deploy-schedules: no ${file}, no schedules to deploy`);
  process.exit(0);
}
const base = (process.env.FUNCTION_BASE_URL ?? "").replace(/\/+$/, "");
if (!base) {
  console.error("deploy-schedules: FUNCTION_BASE_URL is not set (azd sets it from the deployment's outputs)");
  process.exit(1);
}
let key = process.env.FUNCTION_KEY;
if (!key) {
  const app = process.env.FUNCTION_APP_NAME;
  const group = process.env.AZURE_RESOURCE_GROUP;
  if (!app || !group) {
    console.error("deploy-schedules: set FUNCTION_KEY, or FUNCTION_APP_NAME and AZURE_RESOURCE_GROUP to read the key with az");
    process.exit(1);
  }
  key = execFileSync("az", ["functionapp", "keys", "list", "-g", group, "-n", app, "--query", "functionKeys.default", "-o", "tsv"], { encoding: "utf8" }).trim();
}
const schedules = JSON.parse(readFileSync(file, "utf8"));
for (const [name, body] of Object.entries(schedules)) {
  const res = await fetch(`${base}/api/schedules/${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { "x-functions-key": key, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) {
    console.error(`deploy-schedules: PUT /api/schedules/${name} answered ${res.status}: ${text.slice(0, 2000)}`);
    process.exit(1);
  }
  console.log(`deploy-schedules: ${name} ${res.status === 201 ? "created" : "updated"}`);
}
