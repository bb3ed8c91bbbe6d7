/**
 * What can be proven about the deployment without Azure: real API versions, no keys anywhere, the settings the
 * app needs, Logic Apps that call routes the app registers, and bodies the app accepts.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { allBicep, descendants, literal, paramDefaults, parseBicep, REPO, resources, type BicepFile } from "./bicep";
import { SPEC_FILES } from "./api-versions";
import { loadConfig } from "../../src/config";
import { parseScheduledRequest } from "../../src/domain/scheduledRequest";
import { parseAutoStopRequest } from "../../src/autostop/autoStopRequest";
import { CoreRegistry, createCoreApi, installCoreApi } from "../../src/local/host/coreApi";
import { httpRoutes } from "../../src/local/host/http";
import { matchRoute } from "../../src/local/host/routes";

let files: BicepFile[];
beforeAll(async () => {
  files = await allBicep();
});
const file = (rel: string) => files.find((f) => f.path === path.join("infra", rel))!;

function functionAppSettings(): Record<string, unknown> {
  const site = resources(file("app/function-app.bicep")).find((r) => r.typeAndVersion.startsWith("Microsoft.Web/sites@"))!;
  const settings = ((site.body.properties as any).siteConfig.appSettings as { name: string; value: unknown }[]);
  return Object.fromEntries(settings.map((s) => [s.name, s.value]));
}

/** Every HTTP action of a workflow definition, including those nested in loops and conditions. */
function httpActions(actions: Record<string, any>): { name: string; method: string; uri: string }[] {
  return Object.entries(actions).flatMap(([name, a]) => [
    ...(a.type === "Http" ? [{ name, method: a.inputs.method, uri: a.inputs.uri }] : []),
    ...(a.actions ? httpActions(a.actions) : []),
    ...(a.else?.actions ? httpActions(a.else.actions) : []),
  ]);
}

describe("Bicep: resource types and API versions", () => {
  it("every resource type@apiVersion is one the REST API specs define (list in api-versions.ts)", () => {
    const used = new Set(files.flatMap(resources).map((r) => r.typeAndVersion));
    expect([...used].filter((t) => !SPEC_FILES[t])).toEqual([]);
    // and the list carries nothing the Bicep no longer uses
    expect(Object.keys(SPEC_FILES).filter((t) => !used.has(t))).toEqual([]);
  });
});

describe("Bicep: no keys anywhere", () => {
  const deploymentTexts = () => [
    ...files.map((f) => [f.path, f.text] as const),
    ["azure.yaml", readFileSync(path.join(REPO, "azure.yaml"), "utf8")] as const,
    ["infra/main.parameters.json", readFileSync(path.join(REPO, "infra/main.parameters.json"), "utf8")] as const,
  ];
  it("no listKeys, no AccountKey=, no SAS, no key-based storage connection string", () => {
    for (const [name, text] of deploymentTexts()) {
      expect(text, name).not.toMatch(/listKeys|listSecrets|AccountKey=|SharedAccessSignature=|SharedAccessKey=|[?&]sig=/i);
    }
    expect(Object.keys(functionAppSettings())).not.toContain("AzureWebJobsStorage");
  });

  it("storage refuses shared keys, old TLS and public blobs; App Insights refuses local auth", () => {
    const storage = resources(file("core/storage.bicep")).find((r) => r.typeAndVersion.startsWith("Microsoft.Storage/storageAccounts@"))!;
    expect(storage.body.properties).toMatchObject({ allowSharedKeyAccess: false, minimumTlsVersion: "TLS1_2", allowBlobPublicAccess: false });
    const ai = resources(file("monitoring/telemetry.bicep")).find((r) => r.typeAndVersion.startsWith("Microsoft.Insights/components@"))!;
    expect(ai.body.properties).toMatchObject({ DisableLocalAuth: true });
  });

  it("the deployment container and host storage use the user-assigned identity", () => {
    const settings = functionAppSettings();
    expect(settings.AzureWebJobsStorage__credential).toBe("managedidentity");
    const site = resources(file("app/function-app.bicep")).find((r) => r.typeAndVersion.startsWith("Microsoft.Web/sites@"))!;
    expect((site.body.properties as any).functionAppConfig.deployment.storage.authentication.type).toBe("UserAssignedIdentity");
    expect((site.body.properties as any).functionAppConfig.runtime).toEqual({ name: "node", version: "22" });
  });
});

describe("Bicep: app settings", () => {
  // Plausible values for what Bicep computes at deployment time.
  const SAMPLES: Record<string, string> = {
    AUTOSTOP_ACTION_GROUP_ID: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-app/providers/Microsoft.Insights/actionGroups/StartStopVMs_AutoStop",
    AUTOSTOP_MANAGED_BY: "func-abc123",
    APP_BASE_URL: "https://func-abc123.azurewebsites.net",
    APP_RESOURCE_ID: "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-app/providers/Microsoft.Web/sites/func-abc123",
    AUTO_UPDATE_MODE: "notify",
    RELEASE_FEED_URL: "",
    AUTO_UPDATE_SIGNING_KEY: "", // a parameter, empty by default (needed only for apply)
    DEPLOYMENT_STORAGE_CONTAINER_URL: "https://st.blob.core.windows.net/app-package-func-abc123",
    NOTIFY_WEBHOOK_URL: "", // a @secure() parameter, empty by default
  };
  const sample = (name: string, value: unknown): string =>
    typeof value === "string" && !value.includes("${") ? value : SAMPLES[name] ?? (name.endsWith("ServiceUri") ? `https://st.${name.includes("queue") ? "queue" : name.includes("table") ? "table" : "blob"}.core.windows.net/` : "00000000-0000-4000-8000-000000000000");
  const env = () => Object.fromEntries(Object.entries(functionAppSettings()).map(([k, v]) => [k, sample(k, v)]));

  it("cover every setting src/config.ts requires, under the same names (loadConfig accepts them)", () => {
    const config = loadConfig(env());
    expect(config.storage).toMatchObject({ kind: "identity", clientId: expect.any(String) });
    expect(config.armIsLocalSimulator).toBe(false);
  });

  it("each storage setting is really needed: without it loadConfig names what is missing", () => {
    for (const name of ["AzureWebJobsStorage__queueServiceUri", "AzureWebJobsStorage__tableServiceUri"]) {
      const e = env();
      delete e[name];
      expect(() => loadConfig(e), name).toThrow(/AzureWebJobsStorage__queueServiceUri/);
    }
  });

  it("set the identity for ARM (AZURE_CLIENT_ID), TARGET_SCOPES and identity-based telemetry", () => {
    const s = functionAppSettings();
    expect(s.AZURE_CLIENT_ID).toEqual(s.AzureWebJobsStorage__clientId);
    expect(s.TARGET_SCOPES).toBeDefined();
    expect(String(s.APPLICATIONINSIGHTS_AUTHENTICATION_STRING)).toMatch(/^ClientId=\$\{identityClientId\};Authorization=AAD$/);
    expect(readFileSync(path.join(REPO, "src/functions/shared/runtime.ts"), "utf8")).toContain("process.env.AZURE_CLIENT_ID");
  });
});

describe("Bicep: Logic Apps", () => {
  let registered: ReturnType<typeof httpRoutes>;
  beforeAll(() => {
    // Load the compiled app through the local host's core API, as the Functions worker does.
    // The modules read their settings when loaded; local values are enough to register.
    process.env.AzureWebJobsStorage ??= "UseDevelopmentStorage=true";
    const registry = new CoreRegistry();
    installCoreApi(createCoreApi(registry));
    const load = createRequire(path.join(REPO, "package.json"));
    const dir = path.join(REPO, "dist/src/functions");
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".js"))) load(path.join(dir, name));
    registered = httpRoutes(registry.functions);
  });

  const workflow = () => resources(file("schedules/logic-app.bicep")).find((r) => r.typeAndVersion.startsWith("Microsoft.Logic/workflows@"))!;

  it("are v2's five, disabled by default, on a recurrence with a time zone and a startTime", async () => {
    const schedules = JSON.parse(readFileSync(path.join(REPO, "infra/schedules/schedules.json"), "utf8")) as { name: string }[];
    expect(schedules.map((s) => s.name).sort()).toEqual(["ststv2_vms_AutoStop", "ststv2_vms_Scheduled_start", "ststv2_vms_Scheduled_stop", "ststv2_vms_Sequenced_start", "ststv2_vms_Sequenced_stop"]);
    expect(paramDefaults(file("schedules/logic-app.bicep")).state).toBe("Disabled");
    const recurrence = (workflow().body.properties as any).definition.triggers.Recurrence.recurrence;
    // the recurrence found in Azure (kept on a re-provision, provision-idempotence.test.ts), else the one built here
    expect(recurrence.$expr).toMatch(/^!empty\(recurrence\) \? recurrence : \{[\s\S]*startTime: startTime[\s\S]*timeZone: timeZone/);
  });

  it("each HTTP action targets a route and method the app registers, with the workflow's managed identity", () => {
    const defaults = paramDefaults(file("schedules/logic-app.bicep"));
    const actions = httpActions((workflow().body.properties as any).definition.actions);
    expect(actions.map((a) => a.name).sort()).toEqual(["Get_status", "Post_request"]);
    for (const action of actions) {
      const url = action.uri
        .replace("${functionBaseUrl}", "")
        .replace(/\$\{(\w+)\}/g, (_, p: string) => String(defaults[p]))
        .replace(/@\{[^}]*\}/g, "0b3a5d2e-1111-4222-8333-444455556666")
        .split("?")[0]!;
      expect(url, action.name).toMatch(/^\/api\//);
      const hit = registered.find((r) => matchRoute(r.route, url.slice("/api".length)) && (!r.methods || r.methods.includes(action.method)));
      expect(hit, `${action.method} ${url} (${action.name}) matches no registered function`).toBeDefined();
    }
    // Both calls carry the workflow's managed-identity token (one variable of the module), and no key header.
    const logicApp = file("schedules/logic-app.bicep").text;
    expect(logicApp).toContain("var callerAuthentication = { type: 'ManagedServiceIdentity', identity: callerIdentityId, audience: callerAudience }");
    const raw = (name: string) => (name === "Post_request" ? (workflow().body.properties as any).definition.actions.Post_request : (workflow().body.properties as any).definition.actions.Until_final.actions.Get_status);
    for (const action of actions) {
      expect(raw(action.name).inputs.authentication, action.name).toEqual({ $expr: "callerAuthentication" });
      expect(JSON.stringify(raw(action.name).inputs.headers ?? {}), action.name).not.toMatch(/functions-key/i);
      // The route it reaches is a token door (anonymous to the host, proven by src/trust/), never a key route.
      const url = action.uri.replace("${functionBaseUrl}", "").replace(/\$\{(\w+)\}/g, (_, p: string) => String(defaults[p])).replace(/@\{[^}]*\}/g, "x").split("?")[0]!;
      expect(registered.find((r) => matchRoute(r.route, url.slice("/api".length)))?.authLevel, action.name).toBe("anonymous");
      expect(raw(action.name).inputs.retryPolicy, action.name).toMatchObject({ type: "exponential" });
    }
  });

  it("a request that does not end Succeeded fails the run with the request's message", () => {
    const def = (workflow().body.properties as any).definition;
    expect(def.actions.Until_final.type).toBe("Until");
    const check = def.actions.Fail_unless_succeeded;
    expect(JSON.stringify(check.expression)).toContain("Succeeded");
    expect(check.actions.Terminate_failed.inputs.runStatus).toBe("Failed");
  });

  it("every Logic App body passes the validator of the route it posts to (Scheduled or AutoStop), and polls that route's status", async () => {
    const main = file("main.bicep");
    const scopesVar = descendants(main.root, "variable_declaration").find((v) => v.namedChildren[0]?.text === "requestScopes")!;
    const shape = literal(scopesVar.namedChildren.find((c) => c?.type === "object")!) as Record<string, { $expr: string }>;
    expect(Object.keys(shape)).toEqual(["Subscriptions", "ResourceGroups"]);
    expect(main.text).toContain("requestBody: union(s.body, { RequestScopes: requestScopes })");
    // The same normalisation main.bicep applies to TARGET_SCOPES, with a trailing slash as v2 writes ids.
    const requestScopes = { Subscriptions: ["/subscriptions/0b3a5d2e-1111-4222-8333-444455556666/"], ResourceGroups: ["/subscriptions/1c3a5d2e-1111-4222-8333-444455556666/resourceGroups/rg-vms/"] };
    const schedules = JSON.parse(readFileSync(path.join(REPO, "infra/schedules/schedules.json"), "utf8")) as { name: string; route: string; statusRoute: string; idField: string; body: object }[];
    const validators: Record<string, (body: unknown) => { ok: boolean }> = {
      Scheduled: (body) => parseScheduledRequest(body, { maxScopeEntries: 1000 }),
      AutoStop: (body) => parseAutoStopRequest(body, { maxScopeEntries: 1000 }),
    };
    const statusRoutes: Record<string, [string, string]> = { Scheduled: ["requests", "requestId"], AutoStop: ["autostop/runs", "runId"] };
    for (const s of schedules) {
      const result = validators[s.route]!({ ...s.body, RequestScopes: requestScopes });
      expect(result.ok, `${s.name}: ${JSON.stringify(result)}`).toBe(true);
      expect([s.statusRoute, s.idField], s.name).toEqual(statusRoutes[s.route]);
      const status = registered.find((r) => matchRoute(r.route, `/identity/${s.statusRoute}/0b3a5d2e-1111-4222-8333-444455556666`) && (!r.methods || r.methods.includes("GET")));
      expect(status, `${s.name}: GET /api/identity/${s.statusRoute}/{id}`).toBeDefined();
      expect(registered.find((r) => matchRoute(r.route, `/identity/${s.route}`) && r.methods?.includes("POST")), `${s.name}: POST /api/identity/${s.route}`).toBeDefined();
    }
  });
});

describe("Bicep: least-privilege role assignments", () => {
  it("the role is assigned at subscription and resource-group scope through modules of those scopes", async () => {
    expect(file("rbac/target-subscription-access.bicep").text).toMatch(/targetScope = 'subscription'/);
    expect(file("rbac/target-resource-group-access.bicep").text).toMatch(/targetScope = 'resourceGroup'/);
    const role = resources(file("rbac/operator-role.bicep"))[0]!;
    expect((role.body.properties as any).type).toBe("CustomRole");
    expect(await parseBicep(path.join(REPO, "infra/main.bicep"))).toBeDefined();
  });
});
