/**
 * Local Azure Functions host (stand-in for Azure Functions Core Tools, which cannot be installed here).
 *
 *   node dist/src/local/host/main.js [--app-dir <dir>] [--port <port>]
 *
 * Flags
 *   --app-dir <dir>   the function app: host.json, local.settings.json, package.json ("main" may be a glob
 *                     with `*`, e.g. dist/src/functions/*.js). Default: the current directory.
 *   --port <port>     HTTP port on 127.0.0.1 (default 7071; 0 = any free port, printed at startup).
 *
 * Environment (local.settings.json `Values` are copied into the environment unless already set)
 *   AzureWebJobsStorage                    storage connection of queue triggers without `connection`
 *                                          (connection string or UseDevelopmentStorage=true); other connection
 *                                          names likewise, or `<name>__queueServiceUri` (+ `<name>__clientId`)
 *                                          for identity-based connections (DefaultAzureCredential).
 *   LOCAL_FUNCTION_KEY                     the key for authLevel function/admin (header x-functions-key, or ?code= on GET/HEAD only);
 *                                          required when any such function exists.
 *   LOCAL_HOST_QUEUE_LEASE_SECONDS         visibility timeout while a queue message is processed (default 30),
 *                                          renewed at half-lease.
 *   LOCAL_HOST_DISABLE_TIMERS=true         do not run timer triggers.
 *   AzureWebJobs.<FunctionName>.Disabled=true   skip that function (also AzureWebJobs_<Name>_Disabled).
 *
 * host.json: extensions.queues (batchSize, newBatchThreshold, maxDequeueCount, visibilityTimeout,
 * maxPollingInterval, messageEncoding), extensions.http.routePrefix, logging.logLevel.default.
 *
 * Output: "Functions host listening on http://127.0.0.1:<port>", one line per function, then log lines
 * `[<ISO time>] <function> (<invocation id 8 chars>): <message>`.
 * SIGTERM/SIGINT: stop HTTP, polling and timers, wait ≤ 30 s for running invocations, exit 0.
 * Startup failures exit 1.
 */
import { startHost, type RunningHost } from "./host";
import { errorText, hostLog } from "./log";

interface Args {
  appDir: string;
  port: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { appDir: process.cwd(), port: 7071 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--app-dir": args.appDir = value(); break;
      case "--port": {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port ${port}`);
        args.port = port;
        break;
      }
      case "--help": case "-h":
        process.stdout.write("usage: node dist/src/local/host/main.js [--app-dir <dir>] [--port 7071]\n");
        process.exit(0);
        break;
      default: throw new Error(`Unknown argument ${arg}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  let host: RunningHost;
  try {
    const args = parseArgs(process.argv.slice(2));
    host = await startHost(args);
  } catch (error) {
    process.stderr.write(`Functions host failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  let signalled = false;
  const shutdown = (signal: string): void => {
    if (signalled) {
      hostLog(`${signal} again: exiting now`);
      process.exit(1);
    }
    signalled = true;
    hostLog(`${signal} received: stopping (waiting up to 30 s for running invocations)`);
    host.stop(30_000).then((finished) => {
      hostLog(finished ? "stopped" : "stopped with invocations still running");
      process.exit(0);
    }, (error) => {
      hostLog(`stop failed: ${errorText(error)}`, "error");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

process.on("unhandledRejection", (reason) => hostLog(`unhandled rejection: ${errorText(reason)}`, "error"));
void main();
