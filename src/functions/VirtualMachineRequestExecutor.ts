/** Queue execution-request → send one VM's power action ("act"), or verify a subscription's VMs ("verify"). */
import { QUEUE_NAMES } from "../engine/queueNames";
import { app, type InvocationContext } from "@azure/functions";
import { actOnVms } from "../engine/act";
import { parseExecutionMessage } from "../engine/messages";
import { sweepSubscription } from "../engine/sweep";
import { engine } from "./shared/runtime";

export async function virtualMachineRequestExecutor(message: unknown, context: InvocationContext): Promise<void> {
  const parsed = parseExecutionMessage(message);
  if (parsed.type === "act") {
    await actOnVms(engine(), parsed);
  } else {
    await sweepSubscription(engine(), parsed, Number(context.triggerMetadata?.dequeueCount ?? 1));
  }
}

app.storageQueue("VirtualMachineRequestExecutor", {
  queueName: QUEUE_NAMES.execution,
  connection: "AzureWebJobsStorage",
  handler: virtualMachineRequestExecutor,
});
