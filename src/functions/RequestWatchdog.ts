/** Timer → the watchdog: re-seeds runs whose messages were poisoned or lost, and ends runs by their deadline. */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { watchRequests } from "../engine/watchdog";
import { config, engine } from "./shared/runtime";

export async function requestWatchdog(_timer: Timer, context: InvocationContext): Promise<void> {
  const report = await watchRequests(engine());
  context.log(`Watchdog checked ${report.checked} open request(s): re-orchestrated ${report.reorchestrated.length}, ` +
    `re-seeded ${report.reseededSweeps.length} sweep(s), ended ${report.endedAtDeadline.length} at their deadline`);
}

app.timer("RequestWatchdog", { schedule: config.watchdogSchedule, handler: requestWatchdog });
