/**
 * The simulator's own speed with a big fleet (it used to be a wall-clock assertion in its test, which a loaded machine
 * failed): loading 20,000 VMs, listing them through the control API, a filtered list, and 50 instance views over HTTPS.
 */
import { startArmSimulator, type FleetSpec } from "../src/local/arm-simulator/index";
import { requestJson } from "../src/local/httpsJson";
import { SIMULATOR_TOKEN } from "../src/adapters/credentials";

const SUB = "11111111-1111-1111-1111-111111111111";
const VMS = 20_000;

export interface SimulatorSpeedLine {
  step: string;
  ms: number;
  /** What the step must stay under to keep tests and the local world responsive. */
  targetMs: number;
}

export async function measureSimulatorSpeed(): Promise<SimulatorSpeedLine[]> {
  const sim = await startArmSimulator({ limits: false });
  const call = (method: string, path: string, body?: unknown) =>
    requestJson(`${sim.url}${path}`, { method, ca: sim.caCertPem, body, headers: { authorization: `Bearer ${SIMULATOR_TOKEN}` } });
  const timed = async (step: string, targetMs: number, work: () => Promise<unknown>): Promise<SimulatorSpeedLine> => {
    const t = performance.now();
    await work();
    return { step, ms: performance.now() - t, targetMs };
  };
  const vmPath = (name: string) => `/subscriptions/${SUB}/resourceGroups/rg-big/providers/Microsoft.Compute/virtualMachines/${name}`;
  try {
    const big: FleetSpec = { subscriptions: [{ subscriptionId: SUB, resourceGroups: [{ name: "rg-big", location: "westeurope", generate: [{ namePrefix: "vm-", count: VMS, powerState: "running" }] }] }] };
    const lines = [await timed(`load a fleet of ${VMS.toLocaleString("en-US")} VMs`, 3000, () => call("POST", "/_sim/fleet", big))];
    await call("POST", `${vmPath("vm-19999")}/deallocate?api-version=2024-07-01`);
    lines.push(await timed("list every VM (control API)", 3000, () => call("GET", "/_sim/vms")));
    lines.push(await timed("list the deallocating VMs (control API)", 3000, () => call("GET", "/_sim/vms?powerState=deallocating")));
    lines.push(await timed("50 instance views, one after the other", 3000, async () => {
      for (let i = 0; i < 50; i++) await call("GET", `${vmPath(`vm-${String(i + 1).padStart(4, "0")}`)}/instanceView?api-version=2024-07-01`);
    }));
    return lines;
  } finally {
    await sim.close();
  }
}

export function simulatorSpeedMarkdown(lines: SimulatorSpeedLine[]): string {
  const rows = lines.map((l) => `| ${l.step} | ${Math.round(l.ms)} ms | < ${l.targetMs} ms ${l.ms < l.targetMs ? "✓" : "✗"} |`);
  return ["## The simulator with a big fleet", "", "| step | took | target |", "|---|---|---|", ...rows, ""].join("\n");
}
