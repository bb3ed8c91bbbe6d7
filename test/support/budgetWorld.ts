/**
 * A local world of one subscription + region whose Compute bucket is shrunk (app and simulator told the same), so
 * tests of pacing and of the shared budget see calls compete for one bucket within a minute or two. Resource
 * Manager's write bucket is widened so that Compute's alone binds: at 15× its documented 10/s is 150 calls per real
 * second, and its 3% reserve (6 calls) 40 ms of jitter.
 */
import { World, generatedFleet } from "../../src/local/world";
import { SUB_A } from "./fleets";

/** The shared-budget tests' bucket: 100 at once, 200 a minute. */
export const TIGHT_COMPUTE = { burst: 100, perMinute: 200 };
const WIDE_WRITES = { burst: 1000, perSecond: 100 };

export interface BudgetWorldOptions {
  resourceGroups: { name: string; count: number }[];
  compute?: { burst: number; perMinute: number };
  hosts?: number;
  startSeconds?: { minSeconds: number; maxSeconds: number };
  /** Default 15×. Lower it where a test measures simulated durations that the host's own latency would otherwise swamp. */
  timeScale?: number;
}

export async function startBudgetWorld(o: BudgetWorldOptions): Promise<World> {
  const compute = o.compute ?? TIGHT_COMPUTE;
  const world = await World.start({
    fleet: generatedFleet(
      o.resourceGroups.map((rg) => ({ subscriptionId: SUB_A, resourceGroup: rg.name, location: "westeurope", count: rg.count, powerState: "deallocated" as const })),
      { start: o.startSeconds ?? { minSeconds: 30, maxSeconds: 90 }, deallocate: { minSeconds: 30, maxSeconds: 60 } },
    ),
    // 15×: a 200 ms hiccup (a first TLS handshake, a GC pause) is 3 simulated seconds, inside the 3% reserve; at 60×
    // the tests would measure the machine, not the pacing.
    timeScale: o.timeScale ?? 15,
    hosts: o.hosts ?? 1,
    settings: {
      COMPUTE_POWER_BURST: String(compute.burst), COMPUTE_POWER_PER_MINUTE: String(compute.perMinute),
      ARM_WRITES_BURST: String(WIDE_WRITES.burst), ARM_WRITES_PER_SECOND: String(WIDE_WRITES.perSecond),
    },
  });
  await world.sim("PUT", "limits", {
    enabled: true,
    buckets: {
      computeUpdateVm: { burst: compute.burst, refillPerSecond: compute.perMinute / 60 },
      armWrites: { burst: WIDE_WRITES.burst, refillPerSecond: WIDE_WRITES.perSecond },
    },
  });
  return world;
}

/** A `Scheduled` start of one resource group of SUB_A. */
export function startResourceGroup(rg: string): Record<string, unknown> {
  return { Action: "start", RequestScopes: { ResourceGroups: [`/subscriptions/${SUB_A}/resourceGroups/${rg}/`] } };
}
