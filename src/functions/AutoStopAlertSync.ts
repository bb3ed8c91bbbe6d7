/**
 * Timer → re-sync every stored AutoStop configuration, so VMs created since the last run get their alert and the
 * alerts of deleted VMs go, without anyone posting the body again.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { startSync } from "../autostop/syncAlerts";
import { autoStop, config } from "./shared/runtime";

export async function autoStopAlertSync(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = autoStop();
  const configurations = await deps.store.listConfigurations();
  // A switched-off configuration with no alert left has nothing to sync.
  const due = configurations.filter((c) => c.enabled || c.alertResourceGroups.length > 0);
  for (const configuration of due) await startSync(deps, configuration, "timer");
  context.log(`AutoStop re-sync started ${due.length} run(s) of ${configurations.length} configuration(s)`);
}

app.timer("AutoStopAlertSync", { schedule: config.autoStop.syncSchedule, handler: autoStopAlertSync });
