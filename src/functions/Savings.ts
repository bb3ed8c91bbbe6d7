/** GET /api/savings?from=&to=&groupBy=&currency= — hours and money avoided because of this app (src/savings/). */
import { app, type HttpRequest, type HttpResponseInit } from "@azure/functions";
import { parseSavingsQuery } from "../savings/savingsQuery";
import { savingsReport } from "../savings/savingsService";
import { invalidFields, json, problem } from "./shared/http";
import { config, savings, telemetry } from "./shared/runtime";

export async function savingsHandler(request: HttpRequest): Promise<HttpResponseInit> {
  const deps = savings();
  const query = parseSavingsQuery((name) => request.query.get(name), deps.now(), config.savings.currency);
  if (!query.ok) return invalidFields(query.problems);
  try {
    const report = await savingsReport(deps, query.value);
    // What the workbook charts as savings (infra/monitoring/workbook.bicep): each answer's totals and window.
    telemetry().event("SavingsReport", {
      from: report.from, to: report.to, currency: report.currency, groupBy: report.groupBy, moneyAvoided: report.totals.moneyAvoided,
      hoursAvoided: report.totals.hoursAvoided, vms: report.totals.vms, unpricedVms: report.totals.unpricedVms, reservedVms: report.totals.reservedVms,
      pricesFromStaleCache: report.prices.stale.length,
    });
    return json(200, report);
  } catch (error) {
    // Storage or ARM failing is not the caller's fault and not a bug of theirs to see as a 500: say so, and when to retry.
    return problem(503, "Savings are unavailable for now", `Reading the savings history or the VM lists failed (${(error as Error).message.slice(0, 200)}); try again in a minute.`, undefined, { "retry-after": "60" });
  }
}

app.http("Savings", { methods: ["GET"], authLevel: "function", route: "savings", handler: savingsHandler });
