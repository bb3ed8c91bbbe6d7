/** The power action of one VM row: what its plan stored, or, for rows older than stop modes, what v2 did. */
import { assertNever, type PowerAction } from "../targets/powerAction";
import type { RequestRecord, VmRecord } from "./records";

export function actionOf(row: Pick<VmRecord, "powerAction">, request: Pick<RequestRecord, "action">): PowerAction {
  if (row.powerAction) return row.powerAction;
  switch (request.action) {
    case "start":
      return "start";
    case "stop":
      // Rows written before stop modes existed belong to v2-style stops, which deallocate.
      return "deallocate";
    default:
      return assertNever(request.action, "request action");
  }
}
