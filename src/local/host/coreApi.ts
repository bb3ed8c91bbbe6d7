import Module from "node:module";
import { randomUUID } from "node:crypto";
import { hostLog } from "./log";
import type {
  FunctionCallback, FunctionMetadata, HookCallback, ProgrammingModel, RegisteredFunction, RpcLogCategory, RpcLogLevel,
} from "./types";

/** Same contract as the worker's Disposable (VS Code style). */
export class Disposable {
  static from(...items: { dispose(): unknown }[]): Disposable {
    let list: { dispose(): unknown }[] | undefined = items;
    return new Disposable(() => {
      for (const item of list ?? []) item?.dispose?.();
      list = undefined;
    });
  }

  #callOnDispose?: () => unknown;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): unknown {
    const f = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return typeof f === "function" ? f() : undefined;
  }
}

const HOOK_NAMES = ["preInvocation", "postInvocation", "appStart", "appTerminate", "log"] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** What the app registered through `@azure/functions-core`. */
export class CoreRegistry {
  readonly functions: RegisteredFunction[] = [];
  readonly hooks: Record<HookName, HookCallback[]> = {
    preInvocation: [], postInvocation: [], appStart: [], appTerminate: [], log: [],
  };
  /** Shared by all hooks (the worker's appHookData). */
  readonly appHookData: Record<string, unknown> = {};
  programmingModel: ProgrammingModel | undefined;
}

export const WORKER_VERSION = "3.11.0-local";
export const HOST_VERSION = "4.1040.0-local";

function isTrigger(type: unknown): boolean {
  return typeof type === "string" && /trigger$/i.test(type);
}

/** Builds the object the app gets from `require('@azure/functions-core')`. */
export function createCoreApi(registry: CoreRegistry): Record<string, unknown> {
  const log = (level: RpcLogLevel, category: RpcLogCategory, message: string): void => {
    runLogHooks(registry, { level, category, message, invocationContext: undefined }, (l, m) =>
      hostLog(category === "system" ? m : `app: ${m}`, l));
  };

  return {
    version: WORKER_VERSION,
    hostVersion: HOST_VERSION,
    Disposable,
    registerFunction(metadata: FunctionMetadata, handler: FunctionCallback): Disposable {
      if (!metadata || typeof metadata.name !== "string" || !metadata.name) {
        throw new Error("registerFunction: metadata.name is required");
      }
      if (typeof handler !== "function") throw new Error(`registerFunction: handler of "${metadata.name}" is not a function`);
      const existing = registry.functions.find((f) => f.name.toLowerCase() === metadata.name.toLowerCase());
      if (existing) throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
      const entry = Object.entries(metadata.bindings ?? {}).find(([, b]) => isTrigger(b?.type) && b?.direction !== "out");
      if (!entry) throw new Error(`Function "${metadata.name}" has no trigger binding.`);
      const fn: RegisteredFunction = {
        name: metadata.name,
        functionId: metadata.functionId ?? randomUUID(),
        metadata,
        handler,
        triggerName: entry[0],
        trigger: entry[1],
      };
      registry.functions.push(fn);
      return new Disposable(() => {
        const index = registry.functions.indexOf(fn);
        if (index >= 0) registry.functions.splice(index, 1);
      });
    },
    registerHook(hookName: string, callback: HookCallback): Disposable {
      if (!(HOOK_NAMES as readonly string[]).includes(hookName)) {
        throw new RangeError(`Unrecognized hook "${hookName}"`);
      }
      if (typeof callback !== "function") throw new Error(`registerHook: callback for "${hookName}" is not a function`);
      const list = registry.hooks[hookName as HookName];
      list.push(callback);
      return new Disposable(() => {
        const index = list.indexOf(callback);
        if (index >= 0) list.splice(index, 1);
      });
    },
    setProgrammingModel(model: ProgrammingModel): void {
      registry.programmingModel = model;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return registry.programmingModel;
    },
    log,
  };
}

/** Runs the app's log hooks; user logs may have their level/message changed by the hooks. */
export function runLogHooks(
  registry: CoreRegistry,
  entry: { level: RpcLogLevel; category: RpcLogCategory; message: string; invocationContext: unknown },
  emit: (level: RpcLogLevel, message: string) => void,
): void {
  const ctx: Record<string, unknown> = { ...entry, hookData: {}, appHookData: registry.appHookData };
  for (const hook of registry.hooks.log) {
    try {
      hook(ctx);
    } catch (error) {
      hostLog(`log hook failed: ${String(error)}`, "warning");
    }
  }
  if (entry.category === "user") emit(ctx.level as RpcLogLevel, String(ctx.message));
  else emit(entry.level, entry.message);
}

let installed: Record<string, unknown> | undefined;

/**
 * Makes `require('@azure/functions-core')` return `coreApi` in this process, as the worker does.
 * Must run before the app (and therefore `@azure/functions`) is loaded.
 */
export function installCoreApi(coreApi: Record<string, unknown>): void {
  const mod = Module as unknown as {
    _load(request: string, parent: unknown, isMain: boolean): unknown;
  };
  if (installed) {
    installed = coreApi;
    return;
  }
  installed = coreApi;
  const originalLoad = mod._load;
  mod._load = function load(request: string, parent: unknown, isMain: boolean): unknown {
    if (request === "@azure/functions-core") return installed;
    return originalLoad.call(this, request, parent, isMain);
  };
}

