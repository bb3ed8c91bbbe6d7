/**
 * What the app tells its operators beyond log lines: named events and availability results. In Azure they go to
 * Application Insights (the alerts in infra/monitoring query them by name); locally they are printed as JSON lines.
 */

/** Event names the deployment's alert rules and workbooks rely on: renaming one silently breaks an alert. */
export type TelemetryEventName = "RequestFinished" | "HeartBeatCheckFailed" | "AutoUpdate" | "AutoStopAlertsSynced" | "VmEvicted" | "VmRecovered" | "AutoStopAlertRefused" | "SavingsReport";

export type TelemetryProperties = Record<string, string | number | boolean | undefined>;

export interface AvailabilityResult {
  name: string;
  success: boolean;
  message: string;
  durationMs: number;
  time: Date;
}

/** What ties a log line to a run: every line of a run carries its request id, and the VM's id where it is about one. */
export interface TraceFields {
  requestId?: string;
  vmId?: string;
  level?: "info" | "warning" | "error";
}

export interface Telemetry {
  event(name: TelemetryEventName, properties: TelemetryProperties): void;
  /** A log line of the app's own work (Application Insights `traces`, with the fields as custom dimensions). */
  trace(message: string, fields?: TraceFields): void;
  availability(result: AvailabilityResult): void;
  /** Sends what is buffered; a timer function awaits it before it returns. */
  flush(): Promise<void>;
}

/** One JSON line per record on stdout: what the local world shows, and the fallback without a connection string. */
export class StdoutTelemetry implements Telemetry {
  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  event(name: TelemetryEventName, properties: TelemetryProperties): void {
    this.write(JSON.stringify({ telemetry: "event", name, ...properties }));
  }

  trace(message: string, fields: TraceFields = {}): void {
    this.write(JSON.stringify({ telemetry: "trace", level: fields.level ?? "info", message, requestId: fields.requestId, vmId: fields.vmId }));
  }

  availability(result: AvailabilityResult): void {
    this.write(JSON.stringify({ telemetry: "availability", ...result, time: result.time.toISOString() }));
  }

  async flush(): Promise<void> {}
}
