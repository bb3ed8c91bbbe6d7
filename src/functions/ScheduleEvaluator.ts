/** Timer (every minute by default): applies the named schedules to the VMs that carry their tag (src/schedules/evaluator.ts). */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { config, engine, scheduleEvaluator, telemetry } from "./shared/runtime";

export async function scheduleEvaluatorTick(_timer: Timer, context: InvocationContext): Promise<void> {
  if (config.operations.targetScopes.length === 0) return;
  const report = await scheduleEvaluator().tick(engine().clock.now());
  if (report.requests.length > 0 || report.failed.length > 0 || report.unknownSchedules.length > 0 || report.catchUp) {
    telemetry().trace(`ScheduleEvaluator: ${JSON.stringify(report)}`, { level: report.failed.length > 0 ? "warning" : "info" });
  }
  context.log(`ScheduleEvaluator: ${report.vmsScheduled} scheduled VMs of ${report.vmsInScope}, ${report.requests.length} requests`);
}

app.timer("ScheduleEvaluator", { schedule: config.schedules.evaluatorSchedule, handler: scheduleEvaluatorTick });
