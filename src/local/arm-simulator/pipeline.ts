/**
 * The pieces of the ARM request pipeline (arm-routes.ts) that every resource provider's routes share: the request and
 * its log fields, the Compute buckets' headers and 429, an injected fault's answer, async-operation headers and paging.
 */
import type { ArmSimulator } from "./simulator";
import type { BucketCheck, BucketName } from "./buckets";
import type { FaultRule } from "./faults";
import type { RequestLogEntry } from "./request-log";
import type { SimResponse } from "./http-util";
import { armErrorBody } from "./errors";

export interface ArmRequest {
  method: string;
  /** Path without query string. */
  path: string;
  /** Raw query string without the leading `?`. */
  query: string;
  host: string;
  authorization?: string;
  /** The request body (PUT of Insights resources, a scale set's `instanceIds`). */
  body?: string;
}

export interface ArmRouteOptions {
  /** Retry-After on 202s in real seconds; undefined = derived from the remaining time; false = omitted. */
  operationRetryAfterSeconds?: number | false;
}

/** The request-log fields a route fills in as it learns them. */
export type LogFields = Pick<RequestLogEntry, "principal" | "subscriptionId" | "region" | "vmId" | "scaleSetId" | "instanceIds" | "operation" | "throttledBy" | "faultId">;

/** The policy names Compute puts in `x-ms-ratelimit-remaining-resource` and in a 429's detail. */
const POLICY_NAMES: Record<BucketName, string> = {
  armReads: "reads",
  armWrites: "writes",
  computeUpdateVm: "UpdateVM",
  computeDeleteVm: "DeleteVM",
  computeLowCostGet: "LowCostGet",
  computeHighCostGet: "HighCostGet",
  computeGetOperation: "GetOperation",
  vmUpdateVm: "UpdateVMPerVM",
  vmDeleteVm: "DeleteVMPerVM",
  vmLowCostGet: "LowCostGetPerVM",
  vmGetOperation: "GetOperationPerVM",
  scaleSetUpdate: "UpdateVMScaleSet",
  scaleSetDelete: "DeleteVMScaleSet",
  scaleSetLowCostGet: "LowCostGetVMScaleSet",
  scaleSetHighCostGet: "HighCostGetVMScaleSet",
  scaleSetVmGet: "GetVMScaleSetVM",
  perScaleSetDelete: "DeleteVMScaleSetPerVMScaleSet",
  perScaleSetLowCostGet: "LowCostGetVMScaleSetPerVMScaleSet",
  perScaleSetVmGet: "GetVMScaleSetVMPerVM",
};

/**
 * Takes the Compute tokens `checks` need (all or nothing) and writes `x-ms-ratelimit-remaining-resource`; when a
 * bucket is short, the 429 Compute answers (`OperationNotAllowed` with a `TooManyRequests` detail naming the policy).
 */
export function takeComputeTokens(sim: ArmSimulator, checks: BucketCheck[], headers: Record<string, string>, fields: LogFields): SimResponse | undefined {
  const compute = sim.throttler.take(checks, sim.now());
  headers["x-ms-ratelimit-remaining-resource"] = checks.map((c, i) => `Microsoft.Compute/${POLICY_NAMES[c.bucket]};${compute.remaining[i]}`).join(",");
  if (compute.ok) return undefined;
  fields.throttledBy = compute.throttledBy;
  headers["retry-after"] = String(sim.clock.toRealSeconds(compute.retryAfterMs));
  const now = sim.now();
  const policy = POLICY_NAMES[compute.throttledBy];
  const cfg = sim.throttler.config.buckets[compute.throttledBy];
  return {
    status: 429,
    headers,
    body: armErrorBody("OperationNotAllowed", "The server rejected the request because too many requests have been received for this subscription.", [
      {
        code: "TooManyRequests",
        target: policy,
        message: JSON.stringify({
          operationGroup: policy,
          startTime: new Date(now - (cfg.burst / cfg.refillPerSecond) * 1000).toISOString(),
          endTime: new Date(now).toISOString(),
          allowedRequestCount: cfg.burst,
          measuredRequestCount: compute.measured,
        }),
      },
    ]),
  };
}

export function faultResponse(sim: ArmSimulator, fault: FaultRule, headers: Record<string, string>): SimResponse {
  const effect = fault.effect as Extract<FaultRule["effect"], { type: "http" }>;
  const status = effect.status ?? 500;
  if (effect.retryAfterSeconds !== undefined) {
    // Like every waiting time the simulator tells a client: simulated seconds → real seconds.
    headers["retry-after"] = String(sim.clock.toRealSeconds(effect.retryAfterSeconds * 1000));
  }
  return { status, headers, body: armErrorBody(effect.code ?? "InternalServerError", effect.message ?? `Injected fault ${fault.id}.`) };
}

/** `Azure-AsyncOperation` and `Location` (`…&monitor=true`) of an operation, and `Retry-After` from its remaining time. */
export function asyncOperationHeaders(
  sim: ArmSimulator,
  req: ArmRequest,
  op: { subscriptionId: string; location: string; id: string; endTime: number },
  options: ArmRouteOptions,
): Record<string, string> {
  const apiVersion = new URLSearchParams(req.query).get("api-version") ?? "2024-07-01";
  const base = `https://${req.host}/subscriptions/${op.subscriptionId}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}?p=${encodeURIComponent(op.location)}&api-version=${encodeURIComponent(apiVersion)}`;
  const headers: Record<string, string> = { "azure-asyncoperation": base, location: `${base}&monitor=true` };
  const retry = options.operationRetryAfterSeconds;
  if (retry !== false) {
    const remaining = Math.max(0, op.endTime - sim.now());
    headers["retry-after"] = String(retry ?? sim.clock.toRealSeconds(Math.min(10_000, remaining)));
  }
  return headers;
}

/** `$skiptoken` of a paged list request (0 when absent or not a number). */
export function skipOf(query: URLSearchParams): number {
  return Math.max(0, Number.parseInt(query.get("$skiptoken") ?? "0", 10) || 0);
}

/** One page of `all` from `skip`, with a `nextLink` when more remain. */
export function page<T>(req: ArmRequest, all: T[], skip: number, pageSize: number, toJson: (item: T) => unknown): { value: unknown[]; nextLink?: string } {
  const body: { value: unknown[]; nextLink?: string } = { value: all.slice(skip, skip + pageSize).map(toJson) };
  if (skip + pageSize < all.length) body.nextLink = nextLink(req, skip + pageSize);
  return body;
}

export function nextLink(req: ArmRequest, skip: number): string {
  const params = req.query.split("&").filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
  params.push(`$skiptoken=${skip}`);
  return `https://${req.host}${req.path}?${params.join("&")}`;
}

export function isTrue(v: string | null): boolean {
  return (v ?? "").toLowerCase() === "true";
}
