/**
 * POST /api/identity/AutoStop — the AutoStop Logic App's door: the same handler as AutoStop, proven by its managed
 * identity's Entra token (role "operator", src/trust/) instead of a function key. docs/security.md.
 */
import { app } from "@azure/functions";
import { autoStopHandler } from "./AutoStop";
import { withCaller } from "./shared/callerGate";

app.http("AutoStopByIdentity", { methods: ["POST"], authLevel: "anonymous", route: "identity/AutoStop", handler: withCaller("operator", autoStopHandler) });
