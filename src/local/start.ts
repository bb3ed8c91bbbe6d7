/**
 * `npm start`: the whole app on one machine, no Azure account needed. Starts Azurite (in memory, standard
 * ports), the ARM simulator with the demo fleet, and the local functions host, then prints what to try.
 *
 * `npm start -- --azure` skips the simulator and manages real VMs with DefaultAzureCredential
 * (e.g. after `az login`); storage stays local. Then the published default key is refused (see functionKey.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { startAzurite, isPortOpen } from "./azurite";
import { startArmSimulator } from "./arm-simulator";
import { startRetailPrices, RETAIL_PRICES_PATH } from "./retail-prices";
import { chooseFunctionKey } from "./functionKey";
import { ACTION_GROUPS_APP_ID, SECURE_WEBHOOK_ROLE, startEntraSimulator } from "./entra-simulator";

const ROOT = path.resolve(__dirname, "../../..");
const HOST_PORT = Number(process.env.HOST_PORT ?? 7071);
const SIM_PORT = Number(process.env.SIM_PORT ?? 8443);
const TIME_SCALE = Number(process.env.SIM_TIME_SCALE ?? 10);

function localSetting(name: string): string | undefined {
  const file = path.join(ROOT, "local.settings.json");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"))?.Values?.[name];
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const useAzure = process.argv.includes("--azure");
  const keyChoice = chooseFunctionKey(useAzure, process.env.LOCAL_FUNCTION_KEY || localSetting("LOCAL_FUNCTION_KEY"));
  if (!keyChoice.ok) throw new Error(keyChoice.error);
  const key = keyChoice.key;
  const ports: [number, string][] = [[HOST_PORT, "the functions host (set HOST_PORT)"]];
  if (!useAzure) ports.push([SIM_PORT, "the ARM simulator (set SIM_PORT)"]);
  for (const [port, what] of ports) {
    if (await isPortOpen(port)) throw new Error(`Port ${port} for ${what} is already in use.`);
  }

  const azurite = await startAzurite({ ports: { blob: 10000, queue: 10001, table: 10002 } });
  const stops: (() => Promise<void>)[] = [() => azurite.stop()];
  const env: Record<string, string> = { AzureWebJobsStorage: azurite.connectionString, LOCAL_FUNCTION_KEY: key };

  if (!useAzure) {
    const caPath = path.join(ROOT, ".local/arm-simulator-ca.pem");
    const sim = await startArmSimulator({ port: SIM_PORT, fleet: path.join(ROOT, "local/demo-fleet.json"), timeScale: TIME_SCALE, caOut: caPath });
    stops.push(() => sim.close());
    // Entra ID for the machine callers, and AutoStop's action group as `azd up` deploys it: a secure webhook, no key.
    const entra = await startEntraSimulator({ now: () => sim.simulator.clock.now() });
    stops.push(() => entra.close());
    const audience = "api://startstop-local";
    const webhookCaller = "a0a0a0a0-0000-4000-8000-00000000ac70";
    sim.simulator.secureWebhookToken = (receiver) => entra.token({ audience: receiver.identifierUri, objectId: webhookCaller, appId: ACTION_GROUPS_APP_ID, roles: [SECURE_WEBHOOK_ROLE] });
    const actionGroupId = sim.simulator.deployActionGroup(LOCAL_APP_SUBSCRIPTION, "rg-startstop", "StartStopVMs_AutoStop", `http://127.0.0.1:${HOST_PORT}/api/AutoStopVM`, {
      identifierUri: audience, objectId: "5e1f0000-0000-4000-8000-00000000a9b0", tenantId: entra.tenantId,
    });
    Object.assign(env, {
      CALLER_TOKEN_AUDIENCE: audience, CALLER_TOKEN_ISSUER: entra.issuer, CALLER_JWKS_URL: entra.jwksUrl, AUTOSTOP_CALLER_OBJECT_IDS: webhookCaller,
      ARM_ENDPOINT: sim.url, ARM_CA_CERT_PATH: caPath, VERIFY_INTERVAL_SECONDS: process.env.VERIFY_INTERVAL_SECONDS ?? "3",
      AUTOSTOP_ACTION_GROUP_ID: actionGroupId, AUTOSTOP_MANAGED_BY: "startstop-local",
      // The demo fleet's two subscriptions: the ScheduleEvaluator applies local/demo-schedules.json to its tagged groups.
      TARGET_SCOPES: process.env.TARGET_SCOPES ?? "/subscriptions/11111111-1111-4111-8111-111111111111,/subscriptions/22222222-2222-4222-8222-222222222222",
    });
    const prices = await startRetailPrices();
    stops.push(() => prices.close());
    env.RETAIL_PRICES_URL = `${prices.url}${RETAIL_PRICES_PATH}`;
    console.log(`ARM simulator: ${sim.url} (demo fleet: local/demo-fleet.json, time x${TIME_SCALE}); control API ${sim.url}/_sim/vms`);
  } else {
    console.log("Managing real Azure VMs through https://management.azure.com with DefaultAzureCredential.");
    if (keyChoice.generated) console.log(`Function key for this run (send it as the x-functions-key header; it is not stored): ${key}`);
    console.log(`The host listens on 127.0.0.1:${HOST_PORT} only. Do not expose it: it is a development host, not a server.`);
  }

  const host: ChildProcess = spawn(process.execPath, [path.join(ROOT, "dist/src/local/host/main.js"), "--app-dir", ROOT, "--port", String(HOST_PORT)], {
    env: { ...process.env, ...env },
    stdio: "inherit",
  });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (host.exitCode === null) host.kill("SIGTERM");
    await new Promise((r) => (host.exitCode === null ? host.once("exit", r) : r(null)));
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  host.once("exit", (code) => void shutdown(code ?? 1));
  if (!useAzure) void putDemoSchedules(key);

  if (!useAzure) {
    console.log(`
Try it (the same commands as in the README):

  curl -s -X POST "http://localhost:${HOST_PORT}/api/Scheduled" -H "x-functions-key: ${key}" -H "content-type: application/json" \\
    -d '{"Action":"start","RequestScopes":{"ResourceGroups":["/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-web-prod/"]}}'

Then follow the "statusUrl" it returns (with the same x-functions-key header), or watch the VMs:
  curl -sk "https://127.0.0.1:${SIM_PORT}/_sim/vms?resourceGroup=rg-web-prod&powerState=running"
Press Ctrl-C to stop.
`);
  }
}

/** The demo's named schedules (local/demo-schedules.json), PUT through the API once the host answers. */
async function putDemoSchedules(key: string): Promise<void> {
  const schedules = JSON.parse(readFileSync(path.join(ROOT, "local/demo-schedules.json"), "utf8")) as Record<string, unknown>;
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      for (const [name, body] of Object.entries(schedules)) {
        const res = await fetch(`http://127.0.0.1:${HOST_PORT}/api/schedules/${name}`, { method: "PUT", headers: { "x-functions-key": key, "content-type": "application/json" }, body: JSON.stringify(body) });
        if (res.status >= 300) throw new Error(`PUT /api/schedules/${name} answered ${res.status}: ${await res.text()}`);
      }
      console.log(`Demo schedules: ${Object.keys(schedules).join(", ")} (local/demo-schedules.json), applied to rg-batch and rg-dev by their startstop-schedule tags.`);
      return;
    } catch (error) {
      if (attempt === 119) console.warn(`Demo schedules were not created: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The subscription of the app's own resource group in the local world (AutoStop's action group lives there). */
const LOCAL_APP_SUBSCRIPTION = "0a0a0a0a-0000-4000-8000-0000000000a0";

main().catch((error) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
