/**
 * Baseline (b): the hand-written script — `beginStartAndWait` per VM with the SDK's default retry policy
 * (3 retries, honouring Retry-After on 429/503) and default LRO polling, 200 at a time.
 */
import { setMaxListeners } from "node:events";
import type { RowResult } from "../metrics";
import { computeClient, countInto, errorKey, pool, targets, withBaselineSimulator, type BaselineOptions } from "./common";

export async function runNaiveSdk(o: BaselineOptions): Promise<RowResult> {
  return withBaselineSimulator(
    o,
    async (run) => {
      const clients = new Map<string, ReturnType<typeof computeClient>>();
      const client = (s: string) => clients.get(s) ?? clients.set(s, computeClient(run.sim, s, "sdkDefault")).get(s)!;
      const errors = new Map<string, number>();
      const abort = new AbortController();
      setMaxListeners(0, abort.signal); // one listener per in-flight poller
      const capTimer = setInterval(() => {
        if (run.elapsed() > run.capSeconds) abort.abort();
      }, 500);
      let done = 0;
      try {
        await pool(
          targets(run.sim),
          o.concurrency,
          async (vm) => {
            try {
              await client(vm.subscriptionId).virtualMachines.beginStartAndWait(vm.resourceGroup, vm.name, { abortSignal: abort.signal });
              done++;
            } catch (error) {
              countInto(errors, errorKey(error));
            }
          },
          () => abort.signal.aborted,
        );
      } finally {
        clearInterval(capTimer);
      }
      o.log(`  naive: all calls returned at t=${Math.round(run.elapsed())} s sim; ${done} completed`);
      return { notes: [`beginStartAndWait, concurrency ${o.concurrency}: ${done} completed; errors after the SDK's retries: ${[...errors].map(([k, n]) => `${k}×${n}`).join(", ") || "none"}`] };
    },
    "naive",
    "naive SDK (default retries, ×200)",
  );
}
