/**
 * Timer → the heartbeat (v2's name): checks storage, each target scope's read access, the poison queues, overdue
 * requests and the version; sends an availability result and one HeartBeatCheckFailed event per failing check, and
 * keeps the result for GET /api/health.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { runHeartbeat } from "../operations/heartbeat";
import { config, heartbeat, heartbeatStore, telemetry } from "./shared/runtime";

export async function heartBeatAvailabilityTest(_timer: Timer, context: InvocationContext): Promise<void> {
  const result = await runHeartbeat(heartbeat());
  const events = telemetry();
  const failing = result.checks.filter((c) => !c.ok);
  events.availability({
    name: "HeartBeatAvailabilityTest", success: result.ok, durationMs: result.durationMs, time: new Date(result.checkedAt),
    message: result.ok ? "every check passed" : failing.map((c) => `${c.name}: ${c.message}`).join(" | "),
  });
  for (const check of failing) events.event("HeartBeatCheckFailed", { check: check.name, message: check.message, fix: check.fix });
  await events.flush();
  await heartbeatStore().save(result);
  if (result.ok) context.log(`Heartbeat: every check passed (${result.durationMs} ms)`);
  else context.warn(`Heartbeat: ${failing.map((c) => `${c.name} FAILED: ${c.message}`).join(" | ")}`);
}

app.timer("HeartBeatAvailabilityTest", { schedule: config.operations.heartbeatSchedule, handler: heartBeatAvailabilityTest });
