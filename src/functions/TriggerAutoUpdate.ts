/** Timer → auto-update-request-queue (v2's name): look for a newer release (AUTO_UPDATE_SCHEDULE, daily by default). */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { autoUpdate, config } from "./shared/runtime";

export async function triggerAutoUpdate(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = autoUpdate();
  if (!deps || config.autoUpdate.mode === "off") {
    context.log("Auto-update is off (no RELEASE_FEED_URL, or AUTO_UPDATE_MODE=off)");
    return;
  }
  await deps.queue.send({ kind: "check" });
}

app.timer("TriggerAutoUpdate", { schedule: config.autoUpdate.schedule, handler: triggerAutoUpdate });
