/** Queue auto-update-request-queue → look for a newer release and apply it (AUTO_UPDATE_MODE), or check one applied. */
import { QUEUE_NAMES } from "../engine/queueNames";
import { app, type InvocationContext } from "@azure/functions";
import { checkForUpdate, verifyUpdate } from "../autoUpdate/autoUpdate";
import type { AutoUpdateMessage } from "../autoUpdate/updateDeps";
import { autoUpdate } from "./shared/runtime";

export async function updateStartStopV2(message: unknown, context: InvocationContext): Promise<void> {
  const deps = autoUpdate();
  if (!deps) return;
  const m = message as Partial<AutoUpdateMessage>;
  if (m?.kind === "verify" && typeof m.attemptId === "string") {
    const attempt = await verifyUpdate(deps, m.attemptId);
    context.log(`Auto-update ${m.attemptId}: ${attempt?.state ?? "unknown attempt"}${attempt ? ` (${attempt.reason})` : ""}`);
    return;
  }
  if (m?.kind !== "check") throw new Error(`auto-update-request-queue message of unknown kind: ${JSON.stringify(message).slice(0, 200)}`);
  context.log(`Auto-update check (${deps.settings.mode}, running ${deps.settings.runningVersion}): ${await checkForUpdate(deps)}`);
}

app.storageQueue("UpdateStartStopV2", { queueName: QUEUE_NAMES.autoUpdate, connection: "AzureWebJobsStorage", handler: updateStartStopV2 });
