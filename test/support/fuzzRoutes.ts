/**
 * Deterministic bad inputs for every route beyond Scheduled and RequestStatus (test/support/fuzzInputs.ts has those):
 * /api/events, /api/vms/{id}, AutoStopVM, AutoStop, AutoStopRunStatus and the Logic Apps' token doors, each with an
 * authenticated variant (a valid key or token, bad input) and unauthenticated ones (no, wrong or forged proof).
 * Every case is invalid by construction: none may be accepted, none may write.
 */
import { mulberry32 } from "../../src/local/arm-simulator/random";
import type { FuzzCase } from "./fuzzInputs";

export interface RouteFuzzContext {
  /** The Logic Apps' identity (operator), Azure Monitor's webhook (alerts), a VM's own identity (events). */
  operatorToken: string;
  alertToken: string;
  vmToken: string;
  /** The VM vmToken speaks for, and another VM of the fleet. */
  vmId: string;
  otherVmId: string;
  /** One of our real AutoStop rules (on otherVmId's neighbour), and one real AutoStop run. */
  ruleName: string;
  runId: string;
  /** Tokens that must never pass: other audience, other issuer, expired, alg none, a re-signed payload. */
  forgedTokens: string[];
}

const JSON_HEADERS = { "content-type": "application/json" };
/** Stands for a deeply nested value inside a body; swapped for the nesting after JSON.stringify (which could not hold it). */
const DEEP = "\u0001deep\u0001";
const HOSTILE = ["\u0000", "\u202e", "\u200d", "\ud800", "\udfff", "\u2028", "\ufeff", "%", "%25zz", "%zz", "%E0%A4%A", "%ff", "..", "\\"];

export function* routeFuzzCases(seed: number, count: number, ctx: RouteFuzzContext): Generator<FuzzCase> {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const text = (n: number) => Array.from({ length: n }, () => (rnd() < 0.3 ? pick(HOSTILE) : String.fromCharCode(32 + int(0x2000)))).join("");
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const badProof = (): Record<string, string> => pick<() => Record<string, string>>([
    () => ({}),
    () => ({ authorization: pick(["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", `Bearer ${text(int(40))}`.replace(/[^\x20-\xff]/g, "?"), `Bearer ${"a".repeat(3000 + int(5000))}.b.c`, "bearer x.y.z"]) }),
    () => bearer(pick(ctx.forgedTokens)),
    () => ({ "x-functions-key": "integration-test-key" }), // a key opens no token door
  ])();
  const deep = () => {
    const depth = 50 + int(60_000);
    return rnd() < 0.5 ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  };
  const malformed = () => pick([`{`, `{"schemaId":}`, `[1,]`, `nul`, `{"a":1}}`, `\u0000`, "", `{"vmId":"x"`]) + text(int(3));
  const post = (category: string, route: string, body: string, headers: Record<string, string>): FuzzCase => ({
    category, method: "POST", route, headers: { ...JSON_HEADERS, ...headers }, body: Buffer.from(body, "utf8"), mustRefuse: true,
  });
  const get = (category: string, route: string, headers: Record<string, string>, mustRefuse = true): FuzzCase => ({ category, method: "GET", route, headers, mustRefuse });
  const pctBytes = (s: string) => [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

  /** Alert bodies in the common schema's shape, each wrong somewhere (or naming a rule or alert Azure does not have). */
  const alertBody = (): string => {
    const essentials: Record<string, unknown> = {
      alertId: `/subscriptions/aaaaaaaa-0000-4000-8000-000000000001/providers/Microsoft.AlertsManagement/alerts/${pick(["0f0f0f0f-0000-4000-8000-00000000f0f0", text(10), ""])}`,
      alertRule: pick([ctx.ruleName, `autostop-${text(8)}`, "", ctx.ruleName.toUpperCase()]),
      signalType: "Metric", monitorCondition: "Fired", alertTargetIDs: [ctx.otherVmId.toLowerCase()],
    };
    const spoil = pick<() => void>([
      () => (essentials.signalType = DEEP),
      () => (essentials.alertTargetIDs = pick([[], [ctx.vmId, ctx.otherVmId], [text(30)], "x", [1], [DEEP]])),
      () => (essentials.monitorCondition = pick(["fired", "Active", 1, null, DEEP])),
      () => (essentials.alertRule = pick([1, null, [], text(400)])),
      () => (essentials.alertId = pick([1, null, {}, text(500)])),
      () => undefined, // well-formed: refused after Azure is asked (no such rule, or no such alert instance)
    ]);
    spoil();
    const schemaId = rnd() < 0.9 ? "azureMonitorCommonAlertSchema" : pick(["", "AzureMonitorMetricAlert", text(10)]);
    return withDeep(JSON.stringify({ schemaId, data: rnd() < 0.95 ? { essentials, alertContext: rnd() < 0.2 ? DEEP : {} } : text(20) }));
  };
  /** Event reports that are wrong somewhere; the one valid shape speaks for another VM than the token's. */
  const eventBody = (): string => {
    const event: Record<string, unknown> = { EventId: "A123-b", EventType: "Freeze", EventStatus: "Scheduled", Resources: [ctx.vmId.split("/").pop()], NotBefore: "", DurationInSeconds: 5 };
    const body: Record<string, unknown> = { vmId: ctx.vmId, documentIncarnation: 1, event };
    pick<() => void>([
      () => (event.EventType = pick(["Explode", "", 1, null, text(20)])),
      () => (event.EventId = pick(["", text(80), 7, "a".repeat(65)])),
      () => (event.DurationInSeconds = pick(["60", -2, 1.5, [], "1e20", true])), // (null means "not given": valid)
      () => (event.NotBefore = pick(["yesterday", 1, {}, "32 Foo 2026 25:61:00 GMT"])),
      () => (event.Resources = pick(["web", [1], [text(10)], {}])),
      () => (body.vmId = pick([ctx.otherVmId, text(30), 5, null, `${ctx.vmId}/..`])),
      () => (body.event = pick([[], "x", DEEP])),
      () => (body.documentIncarnation = pick([-1, "1", 1.5, []])),
    ])();
    return rnd() < 0.1 ? deep() : withDeep(JSON.stringify(body));
  };
  const withDeep = (json: string) => json.split(JSON.stringify(DEEP)).join(deep());
  const scheduledBody = () => rnd() < 0.3 ? deep() : JSON.stringify({ Action: pick(["reboot", "", 1, null, text(5)]), RequestScopes: { VMLists: [ctx.vmId] } });
  const autoStopBody = () => rnd() < 0.3 ? deep() : JSON.stringify({ Action: "stop", AutoStop_Threshold: pick(["-5", "x", "1e999", 5, "", text(4)]), AutoStop_TimeWindow: pick(["00:05:00", "5m", "", "99:99:99"]), RequestScopes: { ResourceGroups: [pick(["", text(20), "/subscriptions/x/resourceGroups/y/"])] } });
  const scheduleName = () => pick(["%25zz", pctBytes(text(1 + int(30))), "a".repeat(300), "..", "x%2Fy", "-", "_", "nope-does-not-exist", "%00"]);
  const scheduleBody = () => rnd() < 0.3 ? deep() : rnd() < 0.3 ? malformed() : JSON.stringify(pick<unknown>([
    [], "x", 1, null, { periods: "x" }, { timezone: 5 }, { timezone: "Mars/Olympus", periods: [] }, { periods: [{ begintime: "25:00" }] }, { holidays: [text(5)] }, { name: { a: 1 }, at: "never" },
  ]));
  const vmPath = () => pick([
    "%25zz", "%25", "%2525zz%2F", `${pctBytes(text(1 + int(30)))}`, encodeURIComponent(ctx.vmId).replace(/%2F/g, pick(["%2F", "%252F", "/"])) + pick(["%25zz", "%", "%C0%AF", "/..", ""]),
    `subscriptions/${text(8)}/resourceGroups/x`, "%ED%A0%80", "%E0%A4%A", text(20).replace(/[^\x21-\x7e]/g, "x"),
  ]);

  const generators: (() => FuzzCase)[] = [
    // POST /api/events: a VM's own token with bad reports; no, garbage or forged tokens with any report.
    () => post("events:token", "events", eventBody(), bearer(ctx.vmToken)),
    () => post("events:token", "events", malformed(), bearer(ctx.vmToken)),
    () => post("events:unauthenticated", "events", eventBody(), badProof()),
    () => post("events:unauthenticated", "events", rnd() < 0.5 ? deep() : malformed(), badProof()),
    () => post("events:token", "events", eventBody(), { ...bearer(ctx.operatorToken) }), // someone's token, not a VM's
    // GET /api/vms/{id}: bad percent-encoding and ids, with and without the key.
    () => get("vms:key", `vms/${vmPath()}`, {}),
    () => get("vms:noKey", `vms/${vmPath()}`, { "x-functions-key": pick(["", "wrong"]) }),
    // POST /api/AutoStopVM: Azure Monitor's token with bad or unwarranted alerts; anything else refused.
    () => post("AutoStopVM:token", "AutoStopVM", alertBody(), bearer(ctx.alertToken)),
    () => post("AutoStopVM:token", "AutoStopVM", rnd() < 0.5 ? deep() : malformed(), bearer(ctx.alertToken)),
    () => post("AutoStopVM:unauthenticated", "AutoStopVM", alertBody(), rnd() < 0.3 ? bearer(ctx.operatorToken) : badProof()),
    // POST /api/AutoStop and GET /api/autostop/runs/{id}: keys and the Logic Apps' token door.
    () => post("AutoStop:key", "AutoStop", autoStopBody(), {}),
    () => post("AutoStop:noKey", "AutoStop", autoStopBody(), { "x-functions-key": "wrong" }),
    () => post("identity/AutoStop:token", "identity/AutoStop", autoStopBody(), bearer(ctx.operatorToken)),
    () => get("AutoStopRunStatus:key", `autostop/runs/${pick([pctBytes(text(1 + int(40))), "%25zz", "x'y", "a/b", "..", "00000000-0000-4000-8000-000000000000", `${ctx.runId}'`, `${ctx.runId}%00`])}`, {}),
    () => get("AutoStopRunStatus:noKey", `autostop/runs/${ctx.runId}`, { "x-functions-key": pick(["", "wrong"]) }),
    () => get("identity/AutoStopRunStatus:unauthenticated", `identity/autostop/runs/${ctx.runId}`, rnd() < 0.3 ? bearer(ctx.alertToken) : badProof()),
    // POST /api/identity/Scheduled and GET /api/identity/requests/{id}.
    () => post("identity/Scheduled:token", "identity/Scheduled", scheduledBody(), bearer(ctx.operatorToken)),
    () => post("identity/Scheduled:unauthenticated", "identity/Scheduled", JSON.stringify({ Action: "stop", RequestScopes: { VMLists: [ctx.vmId] } }), rnd() < 0.3 ? bearer(ctx.alertToken) : badProof()),
    () => get("identity/RequestStatus:unauthenticated", `identity/requests/${pick(["00000000-0000-4000-8000-000000000000", pctBytes(text(10))])}`, badProof()),
    // The schedules API (#22): bad names and bodies with the key, anything without it.
    () => post("schedules:key", `schedules/${scheduleName()}`, scheduleBody(), {}),
    () => ({ ...post("schedules:key", `schedules/${scheduleName()}`, scheduleBody(), {}), method: "PUT" }),
    () => ({ ...post("schedules:noKey", `schedules/office-hours`, JSON.stringify({ timezone: "Europe/Berlin", periods: [{ begintime: "08:00", endtime: "18:00" }] }), { "x-functions-key": pick(["", "wrong"]) }), method: pick(["PUT", "DELETE", "GET"]) }),
    () => get("schedules:key", `schedules/${scheduleName()}${pick(["", "/preview", "/preview?from=x&to=y"])}`, {}),
    () => ({ ...get("schedules:key", `schedules/${scheduleName()}`, {}), method: "DELETE" }),
    () => post("schedules:key", "schedules/evaluate", scheduleBody(), {}),
    () => get("identity/RequestStatus:token", `identity/requests/${pick([pctBytes(text(1 + int(20))), "%25zz", "x"])}`, bearer(ctx.operatorToken)),
  ];
  for (let i = 0; i < count; i++) yield generators[i % generators.length]!();
}
