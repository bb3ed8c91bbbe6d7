import { readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Server } from "node:http";
import { CoreRegistry, createCoreApi, installCoreApi } from "./coreApi";
import { expandGlob } from "./glob";
import { createHttpServer, httpRoutes } from "./http";
import { runAppHooks, waitForInvocations } from "./invoke";
import { errorText, hostLog, parseLogLevel, setMinimumLogLevel } from "./log";
import { configureOutputs, SUPPORTED_OUTPUT_TYPES } from "./outputs";
import { queueService } from "./queueConnection";
import { QueuePoller } from "./queuePoller";
import {
  applyLocalSettings, isFunctionDisabled, loadHostJson, queueOptions, resolveSettingExpression, routePrefix,
} from "./settings";
import { TimerRunner } from "./timers";
import type { RegisteredFunction } from "./types";

export interface HostOptions {
  appDir: string;
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
}

export interface RunningHost {
  port: number;
  functions: RegisteredFunction[];
  /** Stops HTTP, polling and timers, then waits (≤ timeoutMs) for running invocations. */
  stop(timeoutMs?: number): Promise<boolean>;
}

function triggerKind(fn: RegisteredFunction): string {
  return String(fn.trigger.type ?? "").toLowerCase();
}

/** Loads the app in this process and serves its functions. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const appDir = resolve(options.appDir);
  const hostname = options.hostname ?? "127.0.0.1";
  const hostJson = loadHostJson(appDir);
  applyLocalSettings(appDir);
  const level = parseLogLevel(hostJson.logging?.logLevel?.Function) ?? parseLogLevel(hostJson.logging?.logLevel?.default);
  if (level) setMinimumLogLevel(level);
  configureOutputs(hostJson);
  const qOptions = queueOptions(hostJson);

  const registry = new CoreRegistry();
  installCoreApi(createCoreApi(registry));

  const packagePath = join(appDir, "package.json");
  if (!existsSync(packagePath)) throw new Error(`No package.json in ${appDir}`);
  const main = (JSON.parse(readFileSync(packagePath, "utf8")) as { main?: string }).main ?? "index.js";
  const files = expandGlob(appDir, main);
  if (files.length === 0) throw new Error(`package.json "main" (${main}) matches no file in ${appDir}`);
  for (const file of files) {
    try {
      require(file);
    } catch (error) {
      throw new Error(`Loading ${file} failed: ${errorText(error)}`);
    }
  }
  await registry.programmingModel?.getCapabilities?.({});

  const functions: RegisteredFunction[] = [];
  for (const fn of registry.functions) {
    if (isFunctionDisabled(fn.name)) {
      hostLog(`Function '${fn.name}' is disabled.`);
      continue;
    }
    const kind = triggerKind(fn);
    if (kind !== "httptrigger" && kind !== "queuetrigger" && kind !== "timertrigger") {
      hostLog(`Function '${fn.name}': trigger type '${fn.trigger.type}' is not supported by the local host; skipped.`, "warning");
      continue;
    }
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction === "out" && !SUPPORTED_OUTPUT_TYPES.includes(String(binding.type).toLowerCase())) {
        hostLog(`Function '${fn.name}': output binding '${name}' of type '${binding.type}' is ignored by the local host.`, "warning");
      } else if (binding.direction !== "out" && name !== fn.triggerName) {
        hostLog(`Function '${fn.name}': input binding '${name}' of type '${binding.type}' is not supported by the local host.`, "warning");
      }
    }
    functions.push(fn);
  }

  const routes = httpRoutes(functions);
  const functionKey = process.env.LOCAL_FUNCTION_KEY || undefined;
  const needKey = routes.filter((r) => r.authLevel !== "anonymous").map((r) => r.fn.name);
  if (needKey.length > 0 && !functionKey) {
    throw new Error(
      `The setting LOCAL_FUNCTION_KEY is not set, but these functions need a key (authLevel function/admin): ` +
      `${needKey.join(", ")}. Set LOCAL_FUNCTION_KEY in the environment or local.settings.json Values.`,
    );
  }

  const leaseSeconds = Number(process.env.LOCAL_HOST_QUEUE_LEASE_SECONDS ?? 30);
  if (!Number.isFinite(leaseSeconds) || leaseSeconds < 1 || leaseSeconds > 7 * 24 * 3600) {
    throw new Error(`LOCAL_HOST_QUEUE_LEASE_SECONDS must be a number of seconds ≥ 1, got ${process.env.LOCAL_HOST_QUEUE_LEASE_SECONDS}`);
  }
  const pollers: QueuePoller[] = [];
  for (const fn of functions.filter((f) => triggerKind(f) === "queuetrigger")) {
    const queueName = resolveSettingExpression(String(fn.trigger.queueName ?? "")).toLowerCase();
    if (!queueName) throw new Error(`Function '${fn.name}' has no queueName`);
    const service = queueService(fn.trigger.connection as string | undefined);
    pollers.push(new QueuePoller({
      registry, fn, options: qOptions, leaseSeconds,
      queue: service.getQueueClient(queueName),
      poison: service.getQueueClient(`${queueName}-poison`),
    }));
  }
  const timersDisabled = /^(true|1)$/i.test(process.env.LOCAL_HOST_DISABLE_TIMERS ?? "");
  const timers = timersDisabled
    ? []
    : functions.filter((f) => triggerKind(f) === "timertrigger").map((fn) => new TimerRunner(registry, fn));

  await runAppHooks(registry, "appStart", appDir);

  const prefix = routePrefix(hostJson);
  const server: Server = createHttpServer({ registry, routes, prefix, functionKey });
  const port = await new Promise<number>((resolvePort, reject) => {
    server.once("error", reject);
    server.listen(options.port, hostname, () => {
      const address = server.address();
      resolvePort(typeof address === "object" && address ? address.port : options.port);
    });
  });

  const base = `http://${hostname}:${port}`;
  process.stdout.write(`Functions host listening on ${base}\n`);
  for (const fn of functions) {
    const kind = triggerKind(fn);
    if (kind === "httptrigger") {
      const route = routes.find((r) => r.fn === fn)!;
      const methods = route.methods ? route.methods.join(",") : "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS";
      process.stdout.write(`  ${fn.name}: [${methods}] ${base}/${prefix ? `${prefix}/` : ""}${route.route.template.replace(/^\/+/, "")}\n`);
    } else if (kind === "queuetrigger") {
      process.stdout.write(`  ${fn.name}: queueTrigger ${resolveSettingExpression(String(fn.trigger.queueName)).toLowerCase()}\n`);
    } else {
      process.stdout.write(`  ${fn.name}: timerTrigger ${String(fn.trigger.schedule)}${timersDisabled ? " (timers disabled)" : ""}\n`);
    }
  }

  for (const poller of pollers) poller.start();
  for (const timer of timers) timer.start();

  let stopping: Promise<boolean> | undefined;
  return {
    port,
    functions,
    stop(timeoutMs = 30_000): Promise<boolean> {
      stopping ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections?.();
        await Promise.all([...pollers.map((p) => p.stop()), ...timers.map((t) => t.stop())].map((p) =>
          Promise.race([p, new Promise((r) => setTimeout(r, timeoutMs).unref())])));
        const finished = await waitForInvocations(timeoutMs);
        // Let queue pollers delete/release the messages of the invocations that just ended.
        await Promise.race([
          Promise.allSettled(pollers.map((p) => p.drain())),
          new Promise((r) => setTimeout(r, finished ? 10_000 : 0).unref()),
        ]);
        await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
        try {
          await runAppHooks(registry, "appTerminate", appDir);
        } catch {
          // logged by runAppHooks
        }
        return finished;
      })();
      return stopping;
    },
  };
}
