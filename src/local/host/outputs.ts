import { queueOptions, resolveSettingExpression, type HostJson } from "./settings";
import { encodeMessage, ensureQueue, queueService } from "./queueConnection";
import { typedDataToValue } from "./typedData";
import type { RegisteredFunction, RpcInvocationResponse, RpcTypedData } from "./types";

let encoding: "base64" | "none" = "base64";

export function configureOutputs(hostJson: HostJson): void {
  encoding = queueOptions(hostJson).messageEncoding;
}

function toMessages(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item === "string") return item;
    if (Buffer.isBuffer(item)) return item.toString("utf8");
    return JSON.stringify(item);
  });
}

/**
 * Performs the output bindings the local host supports (`queue`: storage queue messages, encoded per host.json).
 * `http` outputs are handled by the HTTP server. Other output types are reported at startup and ignored.
 */
export async function applyOutputBindings(fn: RegisteredFunction, response: RpcInvocationResponse): Promise<void> {
  const outputs: { name: string; data: RpcTypedData | null | undefined }[] =
    (response.outputData ?? []).map((o) => ({ name: o.name ?? "", data: o.data }));
  if (fn.metadata.bindings.$return) outputs.push({ name: "$return", data: response.returnValue });
  for (const { name, data } of outputs) {
    const binding = fn.metadata.bindings[name];
    if (!binding || String(binding.type).toLowerCase() !== "queue") continue;
    const messages = toMessages(typedDataToValue(data));
    if (messages.length === 0) continue;
    const queueName = resolveSettingExpression(String(binding.queueName ?? "")).toLowerCase();
    const queue = queueService(binding.connection as string | undefined).getQueueClient(queueName);
    await ensureQueue(queue);
    for (const message of messages) await queue.sendMessage(encodeMessage(message, encoding));
  }
}

export const SUPPORTED_OUTPUT_TYPES = ["http", "queue"];
