/**
 * What the app tells its operators beyond log lines: named events and availability results. In Azure they go to
 * Application Insights (the alerts in infra/monitoring query them by name); locally they are printed as JSON lines.
 */

/** Event names the deployment's alert rules and workbooks rely on: renaming one silently breaks an alert. */
export type TelemetryEventName = "RequestFinished" | "HeartBeatCheckFailed" | "AutoUpdate" | "AutoStopAlertsSynced" | "VmEvicted" | "VmRecovered";

export type TelemetryProperties = Record<string, string | number | boolean | undefined>;

export interface AvailabilityResult {
  name: string;
  success: boolean;
  message: string;
  durationMs: number;
  time: Date;
}

export interface Telemetry {
  event(name: TelemetryEventName, properties: TelemetryProperties): void;
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

  availability(result: AvailabilityResult): void {
    this.write(JSON.stringify({ telemetry: "availability", ...result, time: result.time.toISOString() }));
  }

  async flush(): Promise<void> {}
}
