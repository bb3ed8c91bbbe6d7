/**
 * GET /api/identity/autostop/runs/{runId} — the AutoStop Logic App's status polls: AutoStopRunStatus's handler behind an
 * Entra token (role "operator", src/trust/). docs/security.md.
 */
import { app } from "@azure/functions";
import { autoStopRunStatus } from "./AutoStopRunStatus";
import { withCaller } from "./shared/callerGate";

app.http("AutoStopRunStatusByIdentity", { methods: ["GET"], authLevel: "anonymous", route: "identity/autostop/runs/{runId}", handler: withCaller("operator", autoStopRunStatus) });
