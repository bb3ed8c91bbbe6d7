/** Host log lines: `[<ISO time>] <function> (<invocation id, 8 chars>): <message>`. */

export type LogLevel = "trace" | "debug" | "information" | "warning" | "error" | "critical" | "none";

const ORDER: Record<LogLevel, number> = {
  trace: 0, debug: 1, information: 2, warning: 3, error: 4, critical: 5, none: 6,
};

let minimum: LogLevel = "information";

/** Sets the lowest level that is printed (host.json `logging.logLevel`). */
export function setMinimumLogLevel(level: LogLevel): void {
  minimum = level;
}

/** Maps a .NET / host.json level name ("Information", "Warning", "None"...) to ours. */
export function parseLogLevel(value: unknown): LogLevel | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.toLowerCase();
  if (v === "info") return "information";
  if (v === "warn") return "warning";
  return v in ORDER ? (v as LogLevel) : undefined;
}

export function shouldLog(level: string): boolean {
  const parsed = parseLogLevel(level) ?? "information";
  return parsed !== "none" && ORDER[parsed] >= ORDER[minimum];
}

function write(line: string): void {
  process.stdout.write(line.endsWith("\n") ? line : line + "\n");
}

/** A log line about one invocation. */
export function invocationLog(functionName: string, invocationId: string, level: string, message: string): void {
  if (!shouldLog(level)) return;
  write(`[${new Date().toISOString()}] ${functionName} (${invocationId.slice(0, 8)}): ${message}`);
}

/** A log line from the host itself (or from the app outside an invocation). */
export function hostLog(message: string, level: string = "information"): void {
  if (!shouldLog(level)) return;
  write(`[${new Date().toISOString()}] host: ${message}`);
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}
