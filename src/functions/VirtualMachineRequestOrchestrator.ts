/** Queue orchestration-request → expand the request's scopes into VMs, write their rows, release the work. */
import { QUEUE_NAMES } from "../engine/queueNames";
import { app, type InvocationContext } from "@azure/functions";
import { parseOrchestrationMessage } from "../engine/messages";
import { orchestrate } from "../engine/orchestrate";
import { engine } from "./shared/runtime";

export async function virtualMachineRequestOrchestrator(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = parseOrchestrationMessage(message);
  context.log(`Orchestrating request ${parsed.requestId}`);
  await orchestrate(engine(), parsed);
}

app.storageQueue("VirtualMachineRequestOrchestrator", {
  queueName: QUEUE_NAMES.orchestration,
  connection: "AzureWebJobsStorage",
  handler: virtualMachineRequestOrchestrator,
});
