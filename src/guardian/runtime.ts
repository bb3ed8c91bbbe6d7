/** The guardian's composition root: its own identity, the main app's two tables, one-deploy on the main app. */
import { TableClient } from "@azure/data-tables";
import { ArmOneDeploy } from "../adapters/armWebDeploy";
import { appClock } from "../adapters/clock";
import { azureCredential, GUARDIAN_SIMULATOR_TOKEN, simulatorCredential } from "../adapters/credentials";
import { tableClient } from "../adapters/storageClients";
import { AUTO_UPDATE_TABLE, TableAutoUpdateStore } from "../adapters/tableAutoUpdateStore";
import { HEARTBEAT_TABLE, TableHeartbeatStore } from "../adapters/tableHeartbeatStore";
import { StdoutTelemetry } from "../telemetry/telemetry";
import type { GuardianDeps } from "./guardian";
import { loadGuardianConfig, type GuardianConfig } from "./guardianConfig";

export const guardianConfig: GuardianConfig = loadGuardianConfig();

let deps: GuardianDeps | undefined;

export function guardian(): GuardianDeps {
  deps ??= build(guardianConfig);
  return deps;
}

function build(c: GuardianConfig): GuardianDeps {
  const table = (name: string) => c.appStorage.kind === "identity"
    ? new TableClient(c.appStorage.tableServiceUri, name, azureCredential(c.clientId))
    : tableClient({ kind: "connectionString", connectionString: c.appStorage.connectionString }, name);
  const clock = appClock(c.localTime);
  return {
    attempts: new TableAutoUpdateStore(table(AUTO_UPDATE_TABLE)),
    heartbeats: new TableHeartbeatStore(table(HEARTBEAT_TABLE)),
    deployer: new ArmOneDeploy({
      endpoint: c.armEndpoint, caCertPath: c.armCaCertPath, clock,
      credential: c.armIsLocalSimulator ? simulatorCredential(c.armEndpoint, GUARDIAN_SIMULATOR_TOKEN) : azureCredential(c.clientId),
    }, c.appResourceId),
    clock,
    telemetry: new StdoutTelemetry(),
    settings: { heartbeatPeriodSeconds: c.heartbeatPeriodSeconds },
  };
}
