import { describe, expect, it } from "vitest";
import { backoffSeconds, classifyFailure, decideRetry, DEFAULT_RETRY_POLICY } from "../../src/domain/retryPolicy";

const now = new Date("2026-01-05T08:00:00Z");
const inAnHour = new Date("2026-01-05T09:00:00Z");

describe("classifyFailure", () => {
  it.each([
    [{ status: 429, code: "SubscriptionRequestsThrottled", message: "" }, "throttled"],
    [{ status: 429, code: "OperationNotAllowed", message: "" }, "throttled"],
    [{ status: 500, code: "InternalServerError", message: "" }, "transient"],
    [{ status: 503, code: "ServiceUnavailable", message: "" }, "transient"],
    [{ status: 409, code: "Conflict", message: "" }, "transient"],
    [{ status: undefined, code: "ECONNRESET", message: "" }, "transient"],
    [{ status: 200, code: "AllocationFailed", message: "" }, "capacity"],
    [{ status: 409, code: "ZonalAllocationFailed", message: "" }, "capacity"],
    [{ status: 200, code: "OverconstrainedAllocationRequest", message: "" }, "capacity"],
    [{ status: 200, code: "InternalExecutionError", message: "" }, "transient"],
    [{ status: 403, code: "AuthorizationFailed", message: "" }, "permanent"],
    [{ status: 404, code: "ResourceNotFound", message: "" }, "permanent"],
    [{ status: 400, code: "InvalidParameter", message: "" }, "permanent"],
    [{ status: 200, code: "OSProvisioningClientError", message: "" }, "permanent"],
  ] as const)("%o is %s", (failure, expected) => {
    expect(classifyFailure(failure)).toBe(expected);
  });
});

describe("backoffSeconds", () => {
  it("grows exponentially, stays within [half, full] of the capped delay, and is capped", () => {
    const s = { baseSeconds: 5, maxSeconds: 300 };
    expect(backoffSeconds(s, 1, () => 0)).toBe(3); // 5/2 rounded
    expect(backoffSeconds(s, 1, () => 1)).toBe(5);
    expect(backoffSeconds(s, 3, () => 1)).toBe(20);
    expect(backoffSeconds(s, 20, () => 1)).toBe(300);
    expect(backoffSeconds(s, 20, () => 0)).toBe(150);
  });
});

describe("decideRetry", () => {
  const random = () => 0.5;
  it("honours Retry-After on 429 exactly, never earlier", () => {
    const d = decideRetry({ status: 429, code: "TooManyRequests", message: "", retryAfterSeconds: 17 }, 1, now, inAnHour, DEFAULT_RETRY_POLICY, random);
    expect(d).toEqual({ retry: true, afterSeconds: 17, failureClass: "throttled" });
  });
  it("fails permanent errors at once with a reason naming the cause and ARM's code", () => {
    const d = decideRetry({ status: 403, code: "AuthorizationFailed", message: "no access" }, 1, now, inAnHour, DEFAULT_RETRY_POLICY, random);
    expect(d.retry).toBe(false);
    if (!d.retry) expect(d.reason).toMatch(/lacks permission.*AuthorizationFailed: no access/);
  });
  it("backs off capacity errors longer than transient ones", () => {
    const transient = decideRetry({ status: 500, code: "InternalServerError", message: "" }, 2, now, inAnHour, DEFAULT_RETRY_POLICY, random);
    const capacity = decideRetry({ status: 200, code: "AllocationFailed", message: "" }, 2, now, inAnHour, DEFAULT_RETRY_POLICY, random);
    expect(transient.retry && capacity.retry).toBe(true);
    if (transient.retry && capacity.retry) expect(capacity.afterSeconds).toBeGreaterThan(transient.afterSeconds);
  });
  it("stops retrying when the next try would start after the deadline", () => {
    const soon = new Date(now.getTime() + 4_000);
    const d = decideRetry({ status: 500, code: "InternalServerError", message: "boom" }, 3, now, soon, DEFAULT_RETRY_POLICY, random);
    expect(d.retry).toBe(false);
    if (!d.retry) expect(d.reason).toMatch(/deadline.*3 attempt\(s\).*InternalServerError: boom/);
  });
  it("gives a failed operation with an unknown code one more try, then fails it", () => {
    const failure = { status: 200, code: "VMExtensionProvisioningError", message: "extension not found" };
    expect(decideRetry(failure, 1, now, inAnHour, DEFAULT_RETRY_POLICY, random).retry).toBe(true);
    expect(decideRetry(failure, 2, now, inAnHour, DEFAULT_RETRY_POLICY, random).retry).toBe(false);
  });
  it("keeps retrying such failures while the VM's whole failure domain is failing (a platform incident)", () => {
    const failure = { status: 200, code: "VMExtensionProvisioningError", message: "extension not found" };
    expect(decideRetry(failure, 5, now, inAnHour, DEFAULT_RETRY_POLICY, random, { domainFailing: true })).toMatchObject({ retry: true, failureClass: "transient" });
    // A refusal (403) is about this VM whatever the domain does.
    expect(decideRetry({ status: 403, code: "AuthorizationFailed", message: "" }, 1, now, inAnHour, DEFAULT_RETRY_POLICY, random, { domainFailing: true }).retry).toBe(false);
  });
});
