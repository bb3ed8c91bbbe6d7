/**
 * Timer → the eviction watcher: VMs that should be running but are deallocated are explained from the Activity Log
 * and Resource Health; Spot evictions are restarted where asked (RestartEvicted), stops by people are left alone.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { watchEvictions } from "../platformEvents/evictionWatch";
import { config, evictionWatch } from "./shared/runtime";

export async function spotEvictionWatcher(_timer: Timer, context: InvocationContext): Promise<void> {
  const r = await watchEvictions(evictionWatch());
  context.log(`Eviction watch: ${r.checked} VM(s) should be running; ${r.evicted.length} evicted, ${r.stoppedByCaller.length} stopped by a caller, ` +
    `${r.unexplained.length} unexplained; ${r.restartRequests.length} restart request(s); ${r.recovered.length} recovered`);
  if (r.unreadable.length > 0) context.warn(`Eviction watch could not read the Activity Log of ${r.unreadable.length} VM(s), asked again next pass: ${r.unreadable.slice(0, 10).join(", ")}`);
}

app.timer("SpotEvictionWatcher", { schedule: config.evictions.schedule, handler: spotEvictionWatcher });
