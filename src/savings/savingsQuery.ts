/** GET /api/savings's query: `from`, `to`, `groupBy`, `currency`, checked field by field. Pure. */
import type { FieldProblem } from "../domain/scheduledRequest";
import type { GroupBy } from "./report";

export interface SavingsQuery {
  from: Date;
  to: Date;
  groupBy: GroupBy;
  currency: string;
}

/** The longest window one query may cover (the history kept is the window plus a lookback). */
export const MAX_WINDOW_DAYS = 400;
const DAY_MS = 86_400_000;

/**
 * Defaults: the last 30 days up to now, grouped by resource group, in `defaultCurrency`. `to` later than now is
 * clipped to now (the future has saved nothing yet).
 */
export function parseSavingsQuery(
  get: (name: string) => string | null,
  now: Date,
  defaultCurrency: string,
): { ok: true; value: SavingsQuery } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const date = (name: "from" | "to", fallback: Date): Date => {
    const raw = get(name);
    if (raw === null || raw.trim() === "") return fallback;
    const text = raw.trim();
    const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text) ? Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text) : NaN;
    if (Number.isNaN(ms)) {
      problems.push({ field: `${name} (query)`, message: `must be a date (2026-11-01) or an ISO 8601 time with a zone (2026-11-01T00:00:00Z), got "${text.slice(0, 60)}"` });
      return fallback;
    }
    return new Date(ms);
  };
  const to0 = date("to", now);
  const from = date("from", new Date(Math.min(to0.getTime(), now.getTime()) - 30 * DAY_MS));
  const to = new Date(Math.min(to0.getTime(), now.getTime()));
  if (problems.length === 0) {
    if (from.getTime() >= to.getTime()) problems.push({ field: "from (query)", message: `must be before "to" (and before now): got from=${from.toISOString()}, to=${to.toISOString()}` });
    else if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY_MS) problems.push({ field: "from (query)", message: `the window may span at most ${MAX_WINDOW_DAYS} days` });
  }
  const groupText = (get("groupBy") ?? "resourceGroup").trim();
  let groupBy: GroupBy = { kind: "resourceGroup" };
  if (groupText === "resourceGroup" || groupText === "subscription" || groupText === "schedule") groupBy = { kind: groupText };
  else if (/^tag:[^\s<>%&\\?/]{1,512}$/.test(groupText)) groupBy = { kind: "tag", tag: groupText.slice(4) };
  else problems.push({ field: "groupBy (query)", message: `must be resourceGroup, subscription, schedule or tag:<name>, got "${groupText.slice(0, 60)}"` });
  const currency = (get("currency") ?? defaultCurrency).trim();
  if (!/^[A-Z]{3}$/.test(currency)) problems.push({ field: "currency (query)", message: `must be an ISO 4217 code in capitals such as EUR or USD, got "${currency.slice(0, 20)}"` });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { from, to, groupBy, currency } };
}
