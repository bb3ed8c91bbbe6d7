/**
 * Accepting a run: the request row is written and the orchestrator is asked to expand it.
 * A retried POST (same Idempotency-Key or Logic Apps run with the same body) returns the first request.
 */
import { randomUUID } from "node:crypto";
import type { ScheduledRequest } from "../domain/scheduledRequest";
import type { EngineDeps } from "./ports";
import type { RequestRecord } from "./records";

export interface Submission {
  record: RequestRecord;
  /** True when an earlier POST with the same idempotency identity created this request. */
  duplicate: boolean;
}

/** A request stuck in "accepted" this long after a retried POST gets its orchestration message again. */
const RESEND_AFTER_MS = 60_000;

export async function submitRequest(deps: EngineDeps, request: ScheduledRequest, idempotencyIdentity?: string): Promise<Submission> {
  let requestId: string = randomUUID();
  if (idempotencyIdentity) {
    const owner = await deps.store.claimIdempotencyKey(idempotencyIdentity, requestId);
    if (owner !== requestId) {
      const existing = await deps.store.getRequest(owner);
      if (existing) {
        if (existing.stage === "accepted" && deps.clock.now().getTime() - existing.createdAt.getTime() > RESEND_AFTER_MS) {
          await deps.orchestrationQueue.send({ requestId: owner });
        }
        return { record: existing, duplicate: true };
      }
      // The first POST claimed the key but died before writing its row: finish its work under its id.
      requestId = owner;
    }
  }
  const now = deps.clock.now();
  const deadlineMinutes = request.deadlineMinutes ?? deps.settings.deadlineMinutes;
  const record: RequestRecord = {
    requestId,
    action: request.action,
    request,
    stage: "accepted",
    state: "Accepted",
    createdAt: now,
    deadline: new Date(now.getTime() + deadlineMinutes * 60_000),
    vmCount: 0,
    scopeErrors: [],
  };
  // Indexed first: an index row without a request is dropped by the watchdog, a request without one would go unwatched.
  await deps.store.indexOpenRequest(requestId, record.deadline);
  if (!(await deps.store.createRequest(record))) {
    const existing = await deps.store.getRequest(requestId);
    if (existing) return { record: existing, duplicate: true };
  }
  await deps.orchestrationQueue.send({ requestId });
  return { record, duplicate: false };
}
