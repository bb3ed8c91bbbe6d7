/**
 * Queue messages are input from outside the process (anyone with queue access can write one): check them
 * before use, and say exactly what is wrong so the poison queue explains itself.
 */
import { QUEUE_NAMES } from "./queueNames";
import type { ExecutionMessage, OrchestrationMessage } from "./records";

function fail(queue: string, problem: string, raw: unknown): never {
  throw new Error(`Malformed ${queue} message (${problem}): ${JSON.stringify(raw)?.slice(0, 500)}`);
}

function asObject(queue: string, raw: unknown): Record<string, unknown> {
  const value = typeof raw === "string" ? safeParse(raw) : raw;
  if (!value || typeof value !== "object" || Array.isArray(value)) fail(queue, "not a JSON object", raw);
  const o = value as Record<string, unknown>;
  refuseForeignShape(queue, o, raw);
  return o;
}

/**
 * Start/Stop VMs v2 uses the same queue names, but its .NET functions write PascalCase JSON, while every
 * message this app writes is camelCase and carries "requestId". A message with only PascalCase fields and
 * no "requestId" is therefore not ours: almost certainly v2 writing to the same storage account. Refuse it
 * loudly (it lands in the poison queue with this explanation) instead of half-processing it.
 */
function refuseForeignShape(queue: string, o: Record<string, unknown>, raw: unknown): void {
  const keys = Object.keys(o);
  if ("requestId" in o || keys.length === 0 || !keys.every((k) => /^[A-Z]/.test(k))) return;
  throw new Error(
    `Refused ${queue} message: it looks like a Start/Stop VMs v2 message (PascalCase fields ${keys.slice(0, 5).join(", ")}; ` +
      `this app's messages are camelCase with "requestId"). This app must never share a storage account with a running ` +
      `Start/Stop VMs v2: the queue names are the same, the messages are not. Give it its own storage account ` +
      `(the azd deployment creates one). Message: ${JSON.stringify(raw)?.slice(0, 500)}`,
  );
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function text(queue: string, o: Record<string, unknown>, field: string, raw: unknown): string {
  const value = o[field];
  if (typeof value !== "string" || value.length === 0) fail(queue, `"${field}" must be a non-empty string`, raw);
  return value;
}

function integer(queue: string, o: Record<string, unknown>, field: string, raw: unknown): number {
  const value = o[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) fail(queue, `"${field}" must be a non-negative integer`, raw);
  return value;
}

export function parseOrchestrationMessage(raw: unknown): OrchestrationMessage {
  const o = asObject(QUEUE_NAMES.orchestration, raw);
  return {
    requestId: text(QUEUE_NAMES.orchestration, o, "requestId", raw),
    attempt: o.attempt === undefined ? undefined : integer(QUEUE_NAMES.orchestration, o, "attempt", raw),
  };
}

export function parseExecutionMessage(raw: unknown): ExecutionMessage {
  const q = QUEUE_NAMES.execution;
  const o = asObject(q, raw);
  if (o.type === "act") {
    const action = text(q, o, "action", raw);
    if (action !== "start" && action !== "stop") fail(q, `"action" must be "start" or "stop"`, raw);
    const deadline = text(q, o, "deadline", raw);
    if (Number.isNaN(Date.parse(deadline))) fail(q, `"deadline" must be an ISO date`, raw);
    if (!Array.isArray(o.vms) || o.vms.length === 0) fail(q, `"vms" must be a non-empty array`, raw);
    const vms = (o.vms as unknown[]).map((vm) => {
      const v = (vm && typeof vm === "object" ? vm : {}) as Record<string, unknown>;
      return { key: text(q, v, "key", raw), attempt: integer(q, v, "attempt", raw) };
    });
    return { type: "act", requestId: text(q, o, "requestId", raw), action, deadline, vms };
  }
  if (o.type === "verify") {
    return { type: "verify", requestId: text(q, o, "requestId", raw), subscriptionId: text(q, o, "subscriptionId", raw), sweep: integer(q, o, "sweep", raw) };
  }
  fail(q, `"type" must be "act" or "verify"`, raw);
}
