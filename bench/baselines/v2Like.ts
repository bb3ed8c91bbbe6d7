/**
 * Baseline (a): what Start/Stop VMs v2 does — one start call per VM through the official SDK, never retried
 * (`maxRetries: 0`), no pacing, high concurrency, no verification: a VM whose one call was refused stays off.
 */
import type { RowResult } from "../metrics";
import { computeClient, countInto, errorKey, pool, targets, withBaselineSimulator, type BaselineOptions } from "./common";

export async function runV2Like(o: BaselineOptions): Promise<RowResult> {
  return withBaselineSimulator(
    o,
    async (run) => {
      const clients = new Map<string, ReturnType<typeof computeClient>>();
      const client = (s: string) => clients.get(s) ?? clients.set(s, computeClient(run.sim, s, "none")).get(s)!;
      const errors = new Map<string, number>();
      let accepted = 0;
      await pool(
        targets(run.sim),
        o.concurrency,
        async (vm) => {
          try {
            // beginStart sends the POST and returns the poller without polling: "attempted the start action".
            await client(vm.subscriptionId).virtualMachines.beginStart(vm.resourceGroup, vm.name);
            accepted++;
          } catch (error) {
            countInto(errors, errorKey(error));
          }
        },
        () => run.elapsed() > run.capSeconds,
      );
      o.log(`  v2: all calls made at t=${Math.round(run.elapsed())} s sim; ${accepted} accepted`);
      return { notes: [`one call per VM, concurrency ${o.concurrency}: ${accepted} accepted; refused: ${[...errors].map(([k, n]) => `${k}×${n}`).join(", ") || "none"}`] };
    },
    "v2",
    "v2-like (1 call/VM, no retry)",
  );
}
