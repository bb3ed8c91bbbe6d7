/**
 * GET /api/identity/requests/{requestId} — the Logic Apps' status polls: RequestStatus's handler behind an Entra
 * token (role "operator", src/trust/). docs/security.md.
 */
import { app } from "@azure/functions";
import { requestStatus } from "./RequestStatus";
import { withCaller } from "./shared/callerGate";

app.http("RequestStatusByIdentity", { methods: ["GET"], authLevel: "anonymous", route: "identity/requests/{requestId}", handler: withCaller("operator", requestStatus) });
