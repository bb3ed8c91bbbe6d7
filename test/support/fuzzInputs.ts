/**
 * Deterministic bad inputs for the HTTP fuzz test: a seeded generator of requests to POST /api/Scheduled
 * and GET /api/requests/{id} that are each invalid by construction (so none may be accepted or written).
 */
import { mulberry32 } from "../../src/local/arm-simulator/random";
import { SUB_A, vmIdOf } from "./fleets";

export interface FuzzCase {
  category: string;
  method: string;
  /** Path and query below /api/. */
  route: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  /** True when the case must be refused with a 4xx (a GET of status may also answer 200). */
  mustRefuse: boolean;
}

const VM = vmIdOf(SUB_A, "rg-web", "web-01");
const VALID = { Action: "start", RequestScopes: { VMLists: [VM] } };
const VALID_TEXT = JSON.stringify(VALID);
const JSON_HEADERS = { "content-type": "application/json" };

/** Characters that no field accepts: NUL, RTL override, zero-width joiner, lone surrogates, controls. */
const HOSTILE = ["\u0000", "\u202e", "\u200d", "\ud800", "\udfff", "\u0007", "\u2028", "\ufeff", "\u0301", "\uffff"];
/** Byte sequences that are not UTF-8 (decoded as U+FFFD). */
const BAD_UTF8 = [Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])];

export function* fuzzCases(seed: number, count: number, existingRequestId: string): Generator<FuzzCase> {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const post = (category: string, body: string | Buffer, headers: Record<string, string | string[]> = JSON_HEADERS): FuzzCase => ({
    category, method: "POST", route: "Scheduled", headers, body: typeof body === "string" ? Buffer.from(body, "utf8") : body, mustRefuse: true,
  });
  const randomText = (n: number) => Array.from({ length: n }, () => (rnd() < 0.3 ? pick(HOSTILE) : String.fromCharCode(32 + int(0x3000)))).join("");
  const wrongValue = (): unknown => pick<() => unknown>([
    () => int(1e9) - 5e8, () => rnd() < 0.5, () => ({ x: int(9) }), () => [int(9)], () => `x${randomText(int(20))}`, () => -0.5, () => [[[]]],
  ])();

  const generators: (() => FuzzCase)[] = [
    // Malformed JSON: truncated bodies (an object cut before its last brace never parses) and broken syntax.
    () => post("malformedJson", VALID_TEXT.slice(0, int(VALID_TEXT.length))),
    () => post("malformedJson", pick([`{'Action':'start'}`, `{"Action":"start",}`, `{"Action":start}`, `NaN`, `{"a":1}//`, `/*x*/{}`, `{"Action":"start"}}`, `[`, `"`, `{"Action":"\\x41"}`, `\u0000{}`, `{"Action":"start"`, `01`, `{"a":1e99999999}x`]) + randomText(int(3))),
    // Wrong types in every field the payload has.
    () => {
      const body: any = structuredClone(VALID);
      const field = pick(["Action", "RequestScopes", "VMLists", "VMLists[0]", "Sequenced", "WhatIf", "SequenceDelaySeconds", "Subscriptions", "ResourceGroups", "ExcludedVMLists", "EnableClassic", "IsSequenced"]);
      const value = wrongValue();
      if (field === "Action") body.Action = value;
      else if (field === "RequestScopes") body.RequestScopes = typeof value === "object" && value !== null && !Array.isArray(value) ? { Bogus: value } : value;
      else if (field === "VMLists") body.RequestScopes.VMLists = typeof value === "object" && Array.isArray(value) ? [value] : value;
      else if (field === "VMLists[0]") body.RequestScopes.VMLists[0] = value;
      else if (["Subscriptions", "ResourceGroups", "ExcludedVMLists"].includes(field)) body.RequestScopes[field] = [value];
      else if (field === "IsSequenced") body[`${field}${int(9)}`] = value;
      else body[field] = typeof value === "boolean" || typeof value === "number" && field === "SequenceDelaySeconds" ? `${value}!` : value;
      return post("wrongTypes", JSON.stringify(body));
    },
    // Huge arrays: more scope entries than allowed, or more bytes than allowed.
    () => post("hugeArrays", JSON.stringify({ Action: "start", RequestScopes: { VMLists: Array.from({ length: 1001 + int(800) }, (_, i) => vmIdOf(SUB_A, "rg", `v${i}`)) } })),
    () => post("hugeArrays", JSON.stringify({ Action: "start", RequestScopes: { VMLists: [VM], ExcludedVMLists: new Array(20_000 + int(100_000)).fill(0) } })),
    // Deep nesting, in arrays and objects, at the top or inside the scopes.
    () => {
      const depth = 100 + int(120_000);
      const open = rnd() < 0.5 ? "[" : '{"a":';
      const close = open === "[" ? "]" : "}";
      const nested = open.repeat(depth) + "1" + close.repeat(depth);
      return post("deepNesting", rnd() < 0.5 ? nested : `{"Action":"start","RequestScopes":{"VMLists":${nested}}}`);
    },
    // Unicode no field accepts (NUL, RTL, lone surrogates…), as JSON escapes, raw characters or invalid bytes.
    () => {
      const ch = pick(HOSTILE);
      const escaped = rnd() < 0.5 ? JSON.stringify(ch).slice(1, -1) : ch;
      const where = pick(["Action", "vm", "rg", "sub"]);
      const text = where === "Action" ? VALID_TEXT.replace('"start"', `"st${escaped}art"`)
        : where === "vm" ? VALID_TEXT.replace("web-01", `web${escaped}01`)
        : where === "rg" ? VALID_TEXT.replace("rg-web", `rg${escaped}web`) : VALID_TEXT.replace("0000-4000", `0000${escaped}-4000`);
      return post("unicode", text);
    },
    () => {
      const [before, after] = VALID_TEXT.split("web-01");
      return post("unicode", Buffer.concat([Buffer.from(`${before}web`), pick(BAD_UTF8), Buffer.from(`01${after}`)]));
    },
    () => post("unicode", JSON.stringify({ Action: "start", RequestScopes: { VMLists: [`/subscriptions/${SUB_A}/resourceGroups/\u202egew-gr/providers/Microsoft.Compute/virtualMachines/${randomText(1 + int(40))}\u0000`] } })),
    // Wrong content types for a valid body: 415 before anything is read.
    () => {
      const type = pick(["text/plain", "text/plain;charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "text/json", "application/xml", "application/json-patch+json", "", "application/json, text/plain", "application/ json", "json"]);
      return post("wrongContentType", VALID_TEXT, rnd() < 0.1 ? {} : { "content-type": type });
    },
    // Duplicate keys: the last one wins in JSON.parse, and it is always the bad one here.
    () => post("duplicateKeys", pick([
      `{"Action":"start","RequestScopes":{"VMLists":["${VM}"]},"Action":"${pick(["reboot", "", "START!", "deallocate"])}"}`,
      `{"Action":"start","RequestScopes":{"VMLists":["${VM}"],"VMLists":"${VM}"}}`,
      `{"Action":"start","RequestScopes":{"VMLists":["${VM}"]},"RequestScopes":[]}`,
      `{"Action":"start","WhatIf":false,"RequestScopes":{"VMLists":["${VM}"]},"WhatIf":"no"}`,
    ])),
    // Huge headers: the host refuses them (431) or closes the connection; never a 5xx.
    () => post("hugeHeaders", `{"Action":"x"}`, { ...JSON_HEADERS, [`x-pad-${int(5)}`]: "h".repeat(8_000 + int(80_000)) }),
    () => post("hugeHeaders", `{"Action":"x"}`, { ...JSON_HEADERS, "x-many": Array.from({ length: 100 + int(2000) }, (_, i) => `v${i}`) }),
    // Bad Idempotency-Key values on an otherwise valid body.
    () => {
      const key = pick([
        "", " ", "has space", "tab\there", "caf\u00e9", "x".repeat(256 + int(2000)), `${"k".repeat(10)} k` /* inner space: trailing whitespace is not part of a header value (RFC 9110 §5.5) */, "a\u00a0b", "\u00ff",
      ]);
      return post("badIdempotencyKey", VALID_TEXT, { ...JSON_HEADERS, "idempotency-key": rnd() < 0.2 ? ["a", key || "b c"] : key });
    },
    // Wrong methods and missing keys.
    () => ({ category: "wrongMethod", method: pick(["PUT", "DELETE", "PATCH", "GET"]), route: "Scheduled", headers: JSON_HEADERS, body: Buffer.from(VALID_TEXT), mustRefuse: true }),
    () => ({ ...post("missingKey", VALID_TEXT), headers: { ...JSON_HEADERS, "x-functions-key": pick(["", "wrong", "integration-test-ke", `integration-test-key${pick(HOSTILE)}`.replace(/[^\x20-\xff]/g, "?")]) } }),
    // The status API: garbage ids, pages, filters and continuation tokens.
    () => ({ category: "statusGarbage", method: "GET", route: `requests/${percentEncode(rnd() < 0.5 ? Buffer.from(randomText(1 + int(60))) : Buffer.concat([Buffer.from("abc"), pick(BAD_UTF8)]))}`, headers: {}, mustRefuse: true }),
    () => {
      const params = new URLSearchParams();
      params.set(pick(["top", "outcome", "continuationToken", "top"]), pick([randomText(int(30)), String(int(1e6) - 10), "1e3", "-1", "0x10", Buffer.from(randomText(int(300))).toString("base64"), "Succeeded\u0000", "%", "1".repeat(5000)]));
      if (rnd() < 0.3) params.set("continuationToken", Buffer.from(JSON.stringify({ pk: randomText(5), rk: wrongValue() })).toString(pick(["base64", "base64url"])));
      return { category: "statusGarbage", method: "GET", route: `requests/${existingRequestId}?${params}`, headers: {}, mustRefuse: false };
    },
  ];
  for (let i = 0; i < count; i++) yield generators[i % generators.length]!();
}

/** Every byte as %XX, so lone surrogates and bytes that are not UTF-8 reach the host's URL parser as they are. */
function percentEncode(bytes: Buffer): string {
  return [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}
