/** Queue create-alert-request → make this run's metric alerts match its AutoStop configuration (v2's name). */
import { QUEUE_NAMES } from "../engine/queueNames";
import { app, type InvocationContext } from "@azure/functions";
import { runSync } from "../autostop/syncAlerts";
import { autoStop } from "./shared/runtime";

export async function createAutoStopAlertExecutor(message: unknown, context: InvocationContext): Promise<void> {
  const runId = typeof message === "object" && message !== null ? (message as { runId?: unknown }).runId : undefined;
  if (typeof runId !== "string" || !runId) throw new Error(`create-alert-request message without a runId: ${JSON.stringify(message).slice(0, 200)}`);
  context.log(`Syncing AutoStop alerts of run ${runId}`);
  await runSync(autoStop(), runId);
}

app.storageQueue("CreateAutoStopAlertExecutor", { queueName: QUEUE_NAMES.createAlert, connection: "AzureWebJobsStorage", handler: createAutoStopAlertExecutor });
