/**
 * The guardian function app's one function (it ships as its own package, never self-updated): on GUARDIAN_SCHEDULE it
 * rolls back a self-update of the main app whose new version did not start (src/guardian/guardian.ts).
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { guardianTick } from "../guardian";
import { guardian, guardianConfig } from "../runtime";

export async function guardianTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  const outcome = await guardianTick(guardian());
  const attempt = "attempt" in outcome ? ` (attempt ${outcome.attempt.attemptId}, ${outcome.attempt.fromVersion} -> ${outcome.attempt.toVersion})` : "";
  const line = `Guardian: ${outcome.kind}${attempt}${outcome.kind === "retrying" ? `: ${outcome.reason}` : ""}`;
  if (outcome.kind === "failed" || outcome.kind === "retrying") context.warn(line);
  else context.log(line);
}

app.timer("Guardian", { schedule: guardianConfig.schedule, handler: guardianTimer });
