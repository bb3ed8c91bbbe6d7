/**
 * Telemetry through the Azure Monitor OpenTelemetry distro (`@azure/monitor-opentelemetry`): events land in
 * Application Insights' `customEvents` (a log record carrying `microsoft.custom_event.name`), availability results in
 * `availabilityResults` (a log record of base type AvailabilityData), and trace lines in `traces` with requestId and
 * vmId as custom dimensions. With `Authorization=AAD` in APPLICATIONINSIGHTS_AUTHENTICATION_STRING it sends with the
 * managed identity (the deployment turns local auth off). Everything is also printed as JSON lines, as locally.
 *
 * HTTP and Azure SDK auto-instrumentation are off: with thousands of VMs, a dependency record per ARM call would cost
 * more than it tells; the app's own events say what happened.
 */
import { randomUUID } from "node:crypto";
import { useAzureMonitor } from "@azure/monitor-opentelemetry";
import { logs, SeverityNumber, type Logger } from "@opentelemetry/api-logs";
import type { TokenCredential } from "@azure/identity";
import { StdoutTelemetry, type AvailabilityResult, type Telemetry, type TelemetryEventName, type TelemetryProperties, type TraceFields } from "./telemetry";

export interface AzureMonitorSettings {
  connectionString: string;
  /** Entra ID credential when the resource has local authentication off. */
  credential?: TokenCredential;
  /** Where the heartbeat ran, as Application Insights shows it. */
  runLocation: string;
}

const SEVERITY = { info: SeverityNumber.INFO, warning: SeverityNumber.WARN, error: SeverityNumber.ERROR } as const;

export class AzureMonitorTelemetry implements Telemetry {
  private readonly logger: Logger;
  private readonly stdout = new StdoutTelemetry();

  constructor(private readonly settings: AzureMonitorSettings) {
    useAzureMonitor({
      azureMonitorExporterOptions: { connectionString: settings.connectionString, credential: settings.credential },
      enableLiveMetrics: false,
      enableStandardMetrics: false,
      instrumentationOptions: { http: { enabled: false }, azureSdk: { enabled: false } },
    });
    this.logger = logs.getLogger("startstop-vms-next");
  }

  event(name: TelemetryEventName, properties: TelemetryProperties): void {
    this.stdout.event(name, properties);
    this.logger.emit({ severityNumber: SeverityNumber.INFO, body: name, attributes: { "microsoft.custom_event.name": name, ...defined(properties) } });
  }

  trace(message: string, fields: TraceFields = {}): void {
    this.stdout.trace(message, fields);
    this.logger.emit({ severityNumber: SEVERITY[fields.level ?? "info"], body: message, attributes: defined({ requestId: fields.requestId, vmId: fields.vmId }) });
  }

  availability(result: AvailabilityResult): void {
    this.stdout.availability(result);
    this.logger.emit({
      severityNumber: SeverityNumber.INFO,
      attributes: { "_MS.baseType": "AvailabilityData" },
      body: {
        id: randomUUID(), name: result.name, duration: timeSpan(result.durationMs), success: result.success,
        runLocation: this.settings.runLocation, message: result.message.slice(0, 8000), version: 2,
      },
    });
  }

  async flush(): Promise<void> {
    const provider = logs.getLoggerProvider() as { forceFlush?: () => Promise<void> };
    await provider.forceFlush?.();
  }
}

function defined(properties: TelemetryProperties): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(properties).filter((e): e is [string, string | number | boolean] => e[1] !== undefined));
}

/** Application Insights durations: "d.hh:mm:ss.fff". */
function timeSpan(ms: number): string {
  const pad = (n: number, w = 2) => String(Math.floor(n)).padStart(w, "0");
  const days = Math.floor(ms / 86_400_000);
  return `${days}.${pad((ms / 3_600_000) % 24)}:${pad((ms / 60_000) % 60)}:${pad((ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}
