/** Public entry point of the ARM simulator (docs/local-world.md "ARM simulator"). */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { ArmSimulator } from "./simulator";
import { createCertificate } from "./certificate";
import { createSimulatorServer } from "./server";
import type { FleetSpec } from "./fleet";
import type { LimitsInput } from "./buckets";

export { ArmSimulator } from "./simulator";
export type { ControlInstance, ControlScaleSet, ControlVm } from "./simulator";
export type { FleetSpec } from "./fleet";
export type { AutoscaleSetting } from "./autoscale-settings";
export type { LimitsConfig, LimitsInput, BucketName, BucketConfig } from "./buckets";
export type { FaultRuleInput } from "./faults";
export type { RequestLogEntry } from "./request-log";

export interface ArmSimulatorOptions {
  /** Listen port on 127.0.0.1; 0 = any free port. */
  port?: number;
  /** Fleet object or path of a fleet JSON file. */
  fleet?: FleetSpec | string;
  /** Simulated seconds per real second (default 1). */
  timeScale?: number;
  /** Seed for durations and fault probabilities (default 1). */
  seed?: number;
  /** Where to write the certificate PEM clients must trust. */
  caOut?: string;
  /** Throttling buckets; false disables throttling. */
  limits?: LimitsInput | false;
  /** Items per list page before a nextLink (default 200). */
  pageSize?: number;
  /** Retry-After on 202 answers, real seconds; default derived from the remaining time; false omits it. */
  operationRetryAfterSeconds?: number | false;
}

export interface RunningArmSimulator {
  url: string;
  caCertPem: string;
  caCertPath?: string;
  simulator: ArmSimulator;
  close(): Promise<void>;
}

export async function startArmSimulator(options: ArmSimulatorOptions = {}): Promise<RunningArmSimulator> {
  const simulator = new ArmSimulator({
    timeScale: options.timeScale,
    seed: options.seed,
    limits: options.limits,
    pageSize: options.pageSize,
  });
  if (options.fleet !== undefined) {
    const fleet = typeof options.fleet === "string" ? (JSON.parse(await readFile(options.fleet, "utf8")) as FleetSpec) : options.fleet;
    simulator.loadFleet(fleet);
  }
  const cert = await createCertificate();
  let caCertPath: string | undefined;
  if (options.caOut) {
    caCertPath = resolve(options.caOut);
    await mkdir(dirname(caCertPath), { recursive: true });
    await writeFile(caCertPath, cert.certPem);
  }
  const server = createSimulatorServer(simulator, cert, { operationRetryAfterSeconds: options.operationRetryAfterSeconds });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  simulator.alertWebhooks.start();
  return {
    url: `https://127.0.0.1:${port}`,
    caCertPem: cert.certPem,
    caCertPath,
    simulator,
    close: () =>
      new Promise<void>((ok) => {
        simulator.alertWebhooks.stop();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
