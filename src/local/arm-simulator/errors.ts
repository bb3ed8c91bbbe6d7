/** ARM's error body shape `{"error":{"code","message"[,"details"]}}`, which the SDK turns into RestError.code. */
export function armErrorBody(code: string, message: string, details?: unknown[]): unknown {
  return { error: details ? { code, message, details } : { code, message } };
}
