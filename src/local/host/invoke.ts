import { randomUUID } from "node:crypto";
import { runLogHooks, type CoreRegistry } from "./coreApi";
import { errorText, hostLog, invocationLog } from "./log";
import { applyOutputBindings } from "./outputs";
import type {
  CoreInvocationContext, RegisteredFunction, RpcInvocationResponse, RpcLogCategory, RpcLogLevel, RpcParameterBinding,
  RpcTypedData,
} from "./types";

export interface InvocationInput {
  inputData: RpcParameterBinding[];
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Why the function runs, for the "Executing" log line. */
  reason: string;
}

const running = new Set<Promise<unknown>>();

/** Number of invocations currently running. */
export function runningInvocations(): number {
  return running.size;
}

/** Waits until no invocation is running, or `timeoutMs` passes. Returns true when all finished. */
export async function waitForInvocations(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (running.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...running]),
      new Promise((r) => { timer = setTimeout(r, left); }),
    ]);
    if (timer) clearTimeout(timer);
  }
  return true;
}

/**
 * Runs one invocation the way the Node.js worker does: programming model → invocation model →
 * getArguments → preInvocation hooks → invokeFunction → postInvocation hooks → getResponse.
 * Then performs the supported output bindings. Throws what the function, a hook or an output binding threw.
 */
export function invoke(registry: CoreRegistry, fn: RegisteredFunction, input: InvocationInput): Promise<RpcInvocationResponse> {
  const promise = run(registry, fn, input);
  running.add(promise);
  const forget = (): void => { running.delete(promise); };
  promise.then(forget, forget);
  return promise;
}

async function run(registry: CoreRegistry, fn: RegisteredFunction, input: InvocationInput): Promise<RpcInvocationResponse> {
  const model = registry.programmingModel;
  if (!model) throw new Error("The app did not set a programming model (is @azure/functions v4 loaded?)");
  const invocationId = randomUUID();
  const started = Date.now();
  let invocationContext: unknown;
  const coreCtx: CoreInvocationContext = {
    invocationId,
    request: {
      invocationId,
      functionId: fn.functionId,
      inputData: input.inputData,
      triggerMetadata: input.triggerMetadata ?? {},
      traceContext: { traceParent: traceParent(), traceState: "", attributes: {} },
      retryContext: null,
    },
    metadata: { ...fn.metadata, functionId: fn.functionId },
    state: undefined,
    log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
      runLogHooks(registry, { level, category, message, invocationContext }, (l, m) =>
        invocationLog(fn.name, invocationId, l, m));
    },
  };
  invocationLog(fn.name, invocationId, "information", `Executing '${fn.name}' (Reason='${input.reason}', Id=${invocationId})`);
  try {
    const invocationModel = await model.getInvocationModel(coreCtx);
    const args = await invocationModel.getArguments();
    invocationContext = args.context;
    const hookData: Record<string, unknown> = {};
    const pre: Record<string, unknown> = {
      hookData, appHookData: registry.appHookData, invocationContext, inputs: args.inputs, functionCallback: fn.handler,
    };
    if (registry.hooks.preInvocation.length > 0) {
      coreCtx.state = "preInvocationHooks";
      try {
        for (const hook of [...registry.hooks.preInvocation]) await hook(pre);
      } finally {
        coreCtx.state = undefined;
      }
    }
    const inputs = pre.inputs as unknown[];
    const post: Record<string, unknown> = {
      hookData, appHookData: registry.appHookData, invocationContext, inputs, result: null, error: null,
    };
    coreCtx.state = "invocation";
    try {
      post.result = await invocationModel.invokeFunction(invocationContext, inputs, pre.functionCallback as RegisteredFunction["handler"]);
    } catch (error) {
      post.error = error;
    } finally {
      coreCtx.state = undefined;
    }
    if (registry.hooks.postInvocation.length > 0) {
      coreCtx.state = "postInvocationHooks";
      try {
        for (const hook of [...registry.hooks.postInvocation]) await hook(post);
      } finally {
        coreCtx.state = undefined;
      }
    }
    if (post.error !== null && post.error !== undefined) throw post.error;
    const response = await invocationModel.getResponse(invocationContext, post.result);
    await applyOutputBindings(fn, response);
    invocationLog(fn.name, invocationId, "information",
      `Executed '${fn.name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`);
    return response;
  } catch (error) {
    invocationLog(fn.name, invocationId, "error",
      `Executed '${fn.name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${errorText(error)}`);
    throw error;
  }
}

function traceParent(): string {
  const hex = (n: number): string => randomUUID().replace(/-/g, "").slice(0, n);
  return `00-${hex(32)}-${hex(16)}-01`;
}

/** Runs appStart / appTerminate hooks. */
export async function runAppHooks(registry: CoreRegistry, name: "appStart" | "appTerminate", appDir: string): Promise<void> {
  for (const hook of [...registry.hooks[name]]) {
    const ctx: Record<string, unknown> = { hookData: {}, appHookData: registry.appHookData };
    if (name === "appStart") ctx.functionAppDirectory = appDir;
    try {
      await hook(ctx);
    } catch (error) {
      hostLog(`${name} hook failed: ${errorText(error)}`, "error");
      if (name === "appStart") throw error;
    }
  }
}
