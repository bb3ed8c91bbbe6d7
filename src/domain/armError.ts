/**
 * The shape of an Azure Resource Manager failure as the domain sees it, whichever client produced it.
 * Adapters convert SDK/HTTP errors into this; the retry policy classifies it.
 */
export interface ArmFailure {
  /** HTTP status, or undefined when the request never got an answer (network, DNS, TLS, timeout). */
  status?: number;
  /** ARM error code, e.g. "AllocationFailed", "AuthorizationFailed", "SubscriptionRequestsThrottled". */
  code: string;
  message: string;
  /** Seconds from the Retry-After header, when present. */
  retryAfterSeconds?: number;
}

export class ArmRequestError extends Error {
  constructor(readonly failure: ArmFailure) {
    super(`${failure.code}: ${failure.message}`);
    this.name = "ArmRequestError";
  }
}

export function isArmRequestError(error: unknown): error is ArmRequestError {
  return error instanceof ArmRequestError;
}
