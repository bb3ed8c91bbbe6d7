/**
 * POST /api/identity/Scheduled — the Logic Apps' door to Scheduled: the same handler, proven by their managed identity's Entra
 * token (role "operator", src/trust/) instead of a function key. docs/security.md.
 */
import { app } from "@azure/functions";
import { scheduled } from "./Scheduled";
import { withCaller } from "./shared/callerGate";

app.http("ScheduledByIdentity", { methods: ["POST"], authLevel: "anonymous", route: "identity/Scheduled", handler: withCaller("operator", scheduled) });
