// azd's preprovision hook (azure.yaml): reads what users own in Azure before `azd provision` overwrites it.
//  1. Each schedule Logic App's state and recurrence, as found, into the azd environment value SCHEDULES_FOUND
//     (base64 JSON), so main.bicep redeploys them unchanged: a schedule enabled or re-timed in the portal stays so.
//  2. Target scopes taken out of TARGET_SCOPES: the app identity's operator-role assignments there are deleted
//     first, so the role's assignableScopes can shrink (ARM refuses RoleScopeBeingRemovedContainsAssignments).
// First install (no AZURE_RESOURCE_GROUP in the environment yet): nothing to read, SCHEDULES_FOUND is emptied.
// Any other failure stops the provision: a guess would disable schedules or leave access behind.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ARM = "https://management.azure.com";
const here = path.dirname(fileURLToPath(import.meta.url));

/** The schedule Logic Apps main.bicep deploys (infra/schedules/schedules.json). */
export function scheduleNames() {
  return JSON.parse(readFileSync(path.join(here, "../infra/schedules/schedules.json"), "utf8")).map((s) => s.name);
}

/**
 * SCHEDULES_FOUND from the workflows ARM lists in the app's resource group: base64 of
 * {"<name>": {"state": "Enabled"|"Disabled", "recurrence": {...}}} for our schedules only; "" when none exists.
 */
export function schedulesFound(workflows, names) {
  const found = {};
  for (const w of workflows) {
    if (!names.includes(w.name)) continue;
    const recurrence = w.properties?.definition?.triggers?.Recurrence?.recurrence;
    const state = w.properties?.state;
    if (state !== "Enabled" && state !== "Disabled") throw new Error(`Logic App ${w.name} has state ${state}: enable or disable it, then provision again`);
    found[w.name] = { state, ...(recurrence ? { recurrence } : {}) };
  }
  return Object.keys(found).length === 0 ? "" : Buffer.from(JSON.stringify(found), "utf8").toString("base64");
}

/** "/subscriptions/x/" and "/SUBSCRIPTIONS/x" are one scope. */
export function normaliseScope(s) {
  return `/${s.split("/").filter((p) => p.trim() !== "").join("/")}`.toLowerCase();
}

/** The scopes in TARGET_SCOPES, normalised (as main.bicep normalises them). */
export function targetScopes(value) {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "").map(normaliseScope);
}

/**
 * Assignments to delete before the role's assignable scopes shrink: the operator role's assignments to the app
 * identity whose scope was assignable before and is no longer a target (the home subscription and resource group stay).
 */
export function staleAssignments({ assignableBefore, targets, keep, assignments, roleDefinitionId, principalId }) {
  const wanted = new Set([...targets, ...keep].map(normaliseScope));
  const removed = new Set(assignableBefore.map(normaliseScope).filter((s) => !wanted.has(s)));
  return assignments.filter((a) =>
    removed.has(normaliseScope(a.properties.scope)) &&
    a.properties.principalId === principalId &&
    a.properties.roleDefinitionId.toLowerCase().endsWith(roleDefinitionId.toLowerCase().split("/").pop()));
}

function armToken() {
  const out = execFileSync("azd", ["auth", "token", "--output", "json", "--scope", `${ARM}/.default`], { encoding: "utf8" });
  return JSON.parse(out).token;
}

async function arm(method, pathAndQuery, token) {
  const res = await fetch(`${ARM}${pathAndQuery}`, { method, headers: { authorization: `Bearer ${token}` } });
  if (res.status === 404) return undefined;
  if (res.status >= 300) throw new Error(`${method} ${pathAndQuery.split("?")[0]}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : res.json();
}

async function list(pathAndQuery, token) {
  const items = [];
  let next = pathAndQuery;
  while (next) {
    const page = await arm("GET", next, token);
    if (!page) break;
    items.push(...page.value);
    next = page.nextLink ? page.nextLink.replace(ARM, "") : undefined;
  }
  return items;
}

function azdEnvSet(name, value) {
  execFileSync("azd", ["env", "set", name, value], { stdio: "inherit" });
}

async function main() {
  const sub = process.env.AZURE_SUBSCRIPTION_ID;
  const rg = process.env.AZURE_RESOURCE_GROUP;
  if (!sub || !rg) {
    azdEnvSet("SCHEDULES_FOUND", "");
    console.log("preprovision: first install, schedules get SCHEDULE_STATE (default Disabled)");
    return;
  }
  const token = armToken();
  const workflows = await list(`/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Logic/workflows?api-version=2019-05-01`, token);
  const found = schedulesFound(workflows, scheduleNames());
  azdEnvSet("SCHEDULES_FOUND", found);
  console.log(`preprovision: kept the state and recurrence of ${found ? Object.keys(JSON.parse(Buffer.from(found, "base64").toString("utf8"))).length : 0} schedule(s)`);

  const roleId = process.env.OPERATOR_ROLE_ID;
  const principalId = process.env.IDENTITY_PRINCIPAL_ID;
  if (!roleId || !principalId) return;
  const role = await arm("GET", `${roleId}?api-version=2022-04-01`, token);
  if (!role) return;
  const assignableBefore = role.properties.assignableScopes;
  const targets = targetScopes(process.env.TARGET_SCOPES);
  const keep = [`/subscriptions/${sub}`, `/subscriptions/${sub}/resourceGroups/${rg}`];
  const removedScopes = assignableBefore.map(normaliseScope).filter((s) => ![...targets, ...keep.map(normaliseScope)].includes(s));
  for (const scope of removedScopes) {
    const assignments = await list(`${scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=${encodeURIComponent(`principalId eq '${principalId}'`)}`, token);
    for (const a of staleAssignments({ assignableBefore, targets, keep, assignments, roleDefinitionId: roleId, principalId })) {
      await arm("DELETE", `${a.id}?api-version=2022-04-01`, token);
      console.log(`preprovision: removed the operator role on ${a.properties.scope} (no longer in TARGET_SCOPES)`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`preprovision failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
