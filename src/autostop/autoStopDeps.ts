/** What AutoStop's work needs from the outside world; built once per process in src/functions/shared/runtime.ts. */
import type { Clock, ComputeGateway, MessageQueue } from "../engine/ports";
import type { RetryPolicy } from "../domain/retryPolicy";
import type { TokenBuckets } from "../domain/pacing";
import type { Telemetry } from "../telemetry/telemetry";
import type { AlertInstanceGateway, MetricAlertGateway } from "./alertGateway";
import type { AutoStopStore } from "./autoStopStore";

/** The `create-alert-request` message: sync the alerts of one run. */
export interface AutoStopMessage {
  runId: string;
}

export interface AutoStopSettings {
  /** Value of the managed-by tag: this deployment's name, so two deployments never touch each other's alerts. */
  managedBy: string;
  /** The action group every alert notifies (its webhook calls AutoStopVM); undefined = AutoStop not set up. */
  actionGroupId?: string;
  /** A sync run that has not finished by then reports what is left as Failed. */
  runDeadlineMinutes: number;
}

export interface AutoStopDeps {
  compute: ComputeGateway;
  alerts: MetricAlertGateway;
  /** Alerts Management: whether an alert instance really fired (AutoStopVM's last check). */
  instances: AlertInstanceGateway;
  store: AutoStopStore;
  queue: MessageQueue<AutoStopMessage>;
  clock: Clock;
  random: () => number;
  retry: RetryPolicy;
  /** ARM's write bucket per subscription (this process's share), so alert writes never cause 429s themselves. */
  writeBuckets: TokenBuckets;
  telemetry: Telemetry;
  settings: AutoStopSettings;
  log: (message: string, fields?: { requestId?: string; vmId?: string }) => void;
}
