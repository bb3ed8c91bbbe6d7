/**
 * `azd provision` twice, as a what-if of our own: the azd parameter model (azd-params.ts) and the preprovision hook
 * (scripts/preprovision.mjs) turn the environment into parameters, bicep-eval.ts compiles them into the resources
 * ARM would receive, and a small in-memory "Azure" keeps what was deployed and what a user then changed in the
 * portal. A second provision must change nothing, user-owned properties (Logic App state, recurrence, keys)
 * included; the same diff catches the old template (keys from newGuid(), no hook).
 */
import { mkdtempSync, readFileSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compileBicep, paramDeclarations, type Compilation, type DeployedResource } from "./bicep-eval";
import { azdParameters, type AzdEnvironment } from "./azd-params";
import { INFRA } from "./bicep";

type Hook = typeof import("../../scripts/preprovision.mjs");
let hook: Hook;
beforeAll(async () => {
  hook = await import("../../scripts/preprovision.mjs");
});

const HOME_SUB = "11111111-0000-4000-8000-000000000001";
const TARGET_SUB = "22222222-0000-4000-8000-000000000002";
const THIRD_SUB = "33333333-0000-4000-8000-000000000003";
const OTHER_RG = `/subscriptions/${THIRD_SUB}/resourceGroups/rg-vms`;

interface Stored { type: string; body: any }
/** What "Azure" holds: resource id → body (JSON, Unknowns as {$unknown}). */
type Azure = Map<string, Stored>;

const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const scopeOfAssignment = (id: string) => id.split("/providers/Microsoft.Authorization/roleAssignments/")[0]!;
const within = (scope: string, assignable: string) => scope.toLowerCase() === assignable.toLowerCase() || scope.toLowerCase().startsWith(`${assignable.toLowerCase()}/`);

/** Incremental deployment: every resource is PUT as compiled; a role definition may not lose a scope that holds an assignment of it. */
function deploy(azure: Azure, set: Compilation): void {
  for (const r of set.resources.filter((x) => !x.existing && x.type === "Microsoft.Authorization/roleDefinitions")) {
    const scopes = (r.body.properties as any).assignableScopes as string[];
    for (const [id, stored] of azure) {
      if (stored.type !== "Microsoft.Authorization/roleAssignments" || stored.body.properties.roleDefinitionId !== r.id) continue;
      if (!scopes.some((s) => within(scopeOfAssignment(id), s))) throw new Error(`RoleScopeBeingRemovedContainsAssignments: ${scopeOfAssignment(id)}`);
    }
  }
  for (const r of set.resources) if (!r.existing) azure.set(r.id, { type: r.type, body: json(r.body) });
}

/** Every leaf that a deployment of `set` would change in `azure` ("<id> <path>: before → after"). */
function changes(azure: Azure, set: Compilation): string[] {
  const out: string[] = [];
  const walk = (id: string, p: string, before: unknown, after: unknown) => {
    if (after !== null && typeof after === "object" && before !== null && typeof before === "object" && !Array.isArray(after) === !Array.isArray(before)) {
      for (const k of new Set([...Object.keys(before as object), ...Object.keys(after as object)])) walk(id, p ? `${p}.${k}` : k, (before as any)[k], (after as any)[k]);
    } else if (JSON.stringify(before) !== JSON.stringify(after)) out.push(`${id} ${p}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  };
  for (const r of set.resources.filter((x) => !x.existing)) {
    const stored = azure.get(r.id);
    if (!stored) out.push(`${r.id}: created`);
    else walk(r.id, "", stored.body, json(r.body));
  }
  return out;
}

/** The preprovision hook against the in-memory Azure (its ARM reads replaced by lookups). */
function runHook(azure: Azure, env: AzdEnvironment): void {
  const rg = env.values.AZURE_RESOURCE_GROUP;
  if (!rg) { env.values.SCHEDULES_FOUND = ""; return; }
  const prefix = `/subscriptions/${HOME_SUB}/resourceGroups/${rg}/providers/Microsoft.Logic/workflows/`.toLowerCase();
  const workflows = [...azure].filter(([id]) => id.toLowerCase().startsWith(prefix)).map(([id, s]) => ({ name: id.split("/").pop()!, properties: s.body.properties }));
  env.values.SCHEDULES_FOUND = hook.schedulesFound(workflows, hook.scheduleNames());
  const roleId = env.values.OPERATOR_ROLE_ID!;
  const role = azure.get(roleId);
  if (!role) return;
  const assignments = [...azure].filter(([, s]) => s.type === "Microsoft.Authorization/roleAssignments")
    .map(([id, s]) => ({ id, properties: { scope: scopeOfAssignment(id), principalId: JSON.stringify(s.body.properties.principalId), roleDefinitionId: s.body.properties.roleDefinitionId } }));
  const stale = hook.staleAssignments({
    assignableBefore: role.body.properties.assignableScopes,
    targets: hook.targetScopes(env.values.TARGET_SCOPES),
    keep: [`/subscriptions/${HOME_SUB}`, `/subscriptions/${HOME_SUB}/resourceGroups/${rg}`],
    assignments,
    roleDefinitionId: roleId,
    principalId: env.values.IDENTITY_PRINCIPAL_ID!,
  });
  for (const a of stale) azure.delete(a.id);
}

async function provision(azure: Azure, env: AzdEnvironment, infra = INFRA, options: { hook?: boolean } = {}): Promise<Compilation> {
  if (options.hook !== false) runHook(azure, env);
  const main = path.join(infra, "main.bicep");
  const params = azdParameters(await paramDeclarations(main), readFileSync(path.join(infra, "main.parameters.json"), "utf8"), env);
  const set = await compileBicep(main, params, { subscriptionId: env.values.AZURE_SUBSCRIPTION_ID!, location: env.values.AZURE_LOCATION! });
  return set;
}

/** azd saves the deployment's outputs into the environment's .env. */
function saveOutputs(env: AzdEnvironment, set: Compilation): void {
  for (const [k, v] of Object.entries(set.outputs)) env.values[k] = typeof v === "string" ? v : JSON.stringify(v);
}

function newEnvironment(name = "prod", subscriptionId = HOME_SUB): AzdEnvironment {
  return {
    values: {
      AZURE_ENV_NAME: name,
      AZURE_LOCATION: "westeurope",
      AZURE_SUBSCRIPTION_ID: subscriptionId,
      TARGET_SCOPES: `/subscriptions/${TARGET_SUB}/,${OTHER_RG}`,
      ALERT_EMAILS: "ops@example.com",
    },
    config: {},
  };
}

const workflowOf = (set: Compilation, name: string) => set.resources.find((r) => r.type === "Microsoft.Logic/workflows" && r.body.name === name)!;
const START = "ststv2_vms_Scheduled_start";

/** The portal edits a user makes after the first provision. */
function userEnablesAndRetimes(azure: Azure, id: string): void {
  const body = azure.get(id)!.body;
  body.properties.state = "Enabled";
  body.properties.definition.triggers.Recurrence.recurrence.schedule.hours = [6];
}

describe("azd provision twice (what-if style diff)", () => {
  it("the first provision creates schedules Disabled, and no parameter is left to a per-deployment default", async () => {
    const azure: Azure = new Map();
    const env = newEnvironment();
    const first = await provision(azure, env);
    deploy(azure, first);
    const workflows = first.resources.filter((r) => r.type === "Microsoft.Logic/workflows");
    expect(workflows.length).toBeGreaterThanOrEqual(5);
    for (const w of workflows) expect((w.body.properties as any).state, w.body.name as string).toBe("Disabled");
    // no key is created by the template any more; a parameter azd would generate is saved once in its config
    expect(first.resources.filter((r) => /functionKeys|host\/default/i.test(r.type))).toEqual([]);
    const decls = await paramDeclarations(path.join(INFRA, "main.bicep"));
    const perDeployment = [...decls.values()].filter((d) => d.defaultNode && /newGuid|utcNow/.test(d.defaultNode.text)).map((d) => d.name);
    expect(perDeployment).toEqual([]);
  });

  it("SCHEDULE_STATE=Enabled creates new schedules enabled", async () => {
    const env = newEnvironment();
    env.values.SCHEDULE_STATE = "Enabled";
    const set = await provision(new Map(), env);
    expect((workflowOf(set, START).body.properties as any).state).toBe("Enabled");
  });

  it("a second provision changes 0 properties, keeping what the user enabled and re-timed in the portal", async () => {
    const azure: Azure = new Map();
    const env = newEnvironment();
    const first = await provision(azure, env);
    deploy(azure, first);
    saveOutputs(env, first);
    userEnablesAndRetimes(azure, workflowOf(first, START).id);

    const second = await provision(azure, env);
    expect(changes(azure, second)).toEqual([]);
    const start = workflowOf(second, START).body.properties as any;
    expect(start.state).toBe("Enabled");
    expect(start.definition.triggers.Recurrence.recurrence.schedule.hours).toEqual([6]);
    // and nothing else moved between the two compilations: role names, identities, every other schedule
    const others = (c: Compilation) => JSON.stringify(c.resources.filter((r) => r.id !== workflowOf(first, START).id).map((r) => [r.id, r.body]));
    expect(others(second)).toBe(others(first));
  });

  it("the diff catches the old mistakes: a newGuid() default rotates on every provision and, without the hook, the schedule is disabled again", async () => {
    const infra = path.join(mkdtempSync(path.join(tmpdir(), "ssv-infra-")), "infra");
    cpSync(INFRA, infra, { recursive: true });
    const main = path.join(infra, "main.bicep");
    // v0.1's keys: a secure parameter defaulting to newGuid(), sent on every deployment (here into the tags)
    const text = readFileSync(main, "utf8").replace(/^var tags = \{ /m, "@secure()\nparam seededKey string = newGuid()\nvar tags = { seeded: seededKey, ");
    expect(text).toContain("param seededKey string = newGuid()");
    writeFileSync(main, text);
    const azure: Azure = new Map();
    const env = newEnvironment();
    const first = await provision(azure, env, infra);
    deploy(azure, first);
    saveOutputs(env, first);
    userEnablesAndRetimes(azure, workflowOf(first, START).id);
    const second = await provision(azure, env, infra, { hook: false });
    const changed = changes(azure, second);
    const site = first.resources.find((r) => r.type === "Microsoft.Web/sites")!.id;
    expect(changed.filter((c) => c.startsWith(`${site} tags.seeded:`))).toHaveLength(1);
    expect(changed.filter((c) => c.includes(`${START} properties.state: "Enabled" → "Disabled"`))).toHaveLength(1);
    expect(changed.filter((c) => c.includes(`${START} properties.definition.triggers.Recurrence.recurrence.schedule.hours.0: 6 → 8`))).toHaveLength(1);
  });

  it("custom role names carry a token of environment and subscription: one name in two subscriptions does not collide", async () => {
    const roles = async (sub: string) => (await provision(new Map(), newEnvironment("prod", sub))).resources
      .filter((r) => r.type === "Microsoft.Authorization/roleDefinitions").map((r) => (r.body.properties as any).roleName as string);
    const a = await roles(HOME_SUB);
    const b = await roles(TARGET_SUB);
    expect(a.length).toBeGreaterThanOrEqual(1);
    for (const name of a) expect(name).toMatch(/^Start\/Stop VMs .+ \(prod, [a-z0-9]{6}\)$/);
    expect(a.filter((n) => b.includes(n))).toEqual([]);
    expect(await roles(HOME_SUB)).toEqual(a);
  });

  it("taking a scope out of TARGET_SCOPES: the hook removes that assignment first, so the role's scopes can shrink", async () => {
    const azure: Azure = new Map();
    const env = newEnvironment();
    const first = await provision(azure, env);
    deploy(azure, first);
    saveOutputs(env, first);
    const assignmentsAt = (scope: string) => [...azure].filter(([id, s]) => s.type === "Microsoft.Authorization/roleAssignments" && scopeOfAssignment(id) === scope);
    expect(assignmentsAt(OTHER_RG)).toHaveLength(1);
    env.values.TARGET_SCOPES = `/subscriptions/${TARGET_SUB}/`;

    // without the hook ARM refuses, as Azure does (Azure/bicep#17145)
    const withoutHook = await provision(azure, env, INFRA, { hook: false });
    expect(() => deploy(new Map(azure), withoutHook)).toThrow(/RoleScopeBeingRemovedContainsAssignments: .*rg-vms/);

    const shrunk = await provision(azure, env);
    expect(() => deploy(azure, shrunk)).not.toThrow();
    expect(assignmentsAt(OTHER_RG)).toEqual([]);
    const role = shrunk.resources.find((r) => r.type === "Microsoft.Authorization/roleDefinitions")! as DeployedResource;
    expect((role.body.properties as any).assignableScopes).not.toContain(OTHER_RG);
    // the remaining target keeps its assignment
    expect(assignmentsAt(`/subscriptions/${TARGET_SUB}`)).toHaveLength(1);
  });

  it("the hook reads only our schedules, refuses a state it cannot keep, and removes only the app's operator-role assignments", () => {
    const names = hook.scheduleNames();
    const found = hook.schedulesFound([
      { name: START, properties: { state: "Enabled", definition: { triggers: { Recurrence: { recurrence: { frequency: "Week" } } } } } },
      { name: "someone-elses-workflow", properties: { state: "Enabled" } },
    ], names);
    expect(JSON.parse(Buffer.from(found, "base64").toString("utf8"))).toEqual({ [START]: { state: "Enabled", recurrence: { frequency: "Week" } } });
    expect(hook.schedulesFound([], names)).toBe("");
    expect(() => hook.schedulesFound([{ name: START, properties: { state: "Suspended" } }], names)).toThrow(/Suspended/);

    const role = `/subscriptions/${HOME_SUB}/providers/Microsoft.Authorization/roleDefinitions/r1`;
    const at = (scope: string, principalId: string, roleDefinitionId: string) => ({ id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${principalId}-${roleDefinitionId.slice(-2)}`, properties: { scope, principalId, roleDefinitionId } });
    const stale = hook.staleAssignments({
      assignableBefore: [`/subscriptions/${HOME_SUB}`, `/subscriptions/${TARGET_SUB}`, OTHER_RG],
      targets: hook.targetScopes(`/SUBSCRIPTIONS/${TARGET_SUB}/`),
      keep: [`/subscriptions/${HOME_SUB}`],
      assignments: [at(OTHER_RG, "app", role), at(OTHER_RG, "someone", role), at(OTHER_RG, "app", `${role.slice(0, -2)}r2`), at(`/subscriptions/${TARGET_SUB}`, "app", role)],
      roleDefinitionId: role,
      principalId: "app",
    });
    expect(stale.map((a) => a.id)).toEqual([at(OTHER_RG, "app", role).id]);
  });
});
