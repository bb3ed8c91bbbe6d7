import { describe, expect, it } from "vitest";
import {
  BODY_FIELD,
  FieldProblem,
  MAX_ENTRY_PROBLEMS,
  ParseResult,
  ScheduledRequest,
  parseScheduledRequest,
} from "../../src/domain/scheduledRequest";

const LIMITS = { maxScopeEntries: 50 };
const SUB = "1a2b3c4d-0000-4000-8000-00000000abcd";
const SUB2 = "99999999-aaaa-4bbb-8ccc-dddddddddddd";
const RG = `/subscriptions/${SUB2}/resourceGroups/rg-web/`;
const VM = (name: string, rg = "rg-app", sub = SUB) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
const CLASSIC = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ClassicCompute/virtualMachines/old`;

function ok(r: ParseResult<ScheduledRequest>): ScheduledRequest {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.problems)}`);
  return r.value;
}
function problems(r: ParseResult<ScheduledRequest>): FieldProblem[] {
  if (r.ok) throw new Error("expected problems");
  return r.problems;
}
const base = (over: Record<string, unknown> = {}, scopes: Record<string, unknown> = {}) => ({
  Action: "start",
  RequestScopes: { Subscriptions: [`/subscriptions/${SUB}/`], ...scopes },
  ...over,
});

describe("parseScheduledRequest: v2 payload", () => {
  it("accepts v2's documented example verbatim", () => {
    const body = {
      Action: "start",
      EnableClassic: false,
      Sequenced: true,
      RequestScopes: {
        Subscriptions: [`/subscriptions/${SUB}/`],
        ResourceGroups: [RG],
        VMLists: [VM("vm1")],
        ExcludedVMLists: [VM("vm9"), "Az*"],
      },
    };
    const v = ok(parseScheduledRequest(body, LIMITS));
    expect(v).toEqual({
      action: "start",
      sequenced: true,
      whatIf: false,
      continueOnError: false,
      sequenceDelaySeconds: 0,
      scopes: {
        subscriptions: [SUB],
        resourceGroups: [{ subscriptionId: SUB2, resourceGroup: "rg-web" }],
        vms: [{ subscriptionId: SUB, resourceGroup: "rg-app", name: "vm1" }],
        exclusions: [
          { kind: "id", key: VM("vm9").toLowerCase() },
          { kind: "namePrefix", prefix: "Az" },
        ],
      },
    });
    expect("deadlineMinutes" in v).toBe(false);
  });

  it("defaults optional fields", () => {
    const v = ok(parseScheduledRequest({ Action: "stop", RequestScopes: { VMLists: [VM("a")] } }, LIMITS));
    expect(v).toMatchObject({ action: "stop", sequenced: false, whatIf: false, continueOnError: false, sequenceDelaySeconds: 0 });
    expect(v.deadlineMinutes).toBeUndefined();
  });

  it("matches keys case-insensitively and accepts Logic Apps' string booleans and numbers", () => {
    const v = ok(
      parseScheduledRequest(
        {
          action: "STOP",
          enableclassic: "false",
          SEQUENCED: "True",
          whatif: "true",
          continueonerror: "FALSE",
          sequencedelayseconds: "30",
          DEADLINEMINUTES: 60,
          requestscopes: { vmlists: [VM("a")], EXCLUDEDvmLISTS: ["b"] },
        },
        LIMITS,
      ),
    );
    expect(v).toMatchObject({
      action: "stop",
      sequenced: true,
      whatIf: true,
      continueOnError: false,
      sequenceDelaySeconds: 30,
      deadlineMinutes: 60,
    });
    expect(v.scopes.exclusions).toEqual([{ kind: "name", name: "b" }]);
  });

  it("treats null optional fields as absent", () => {
    const v = ok(parseScheduledRequest(base({ Sequenced: null, DeadlineMinutes: null }, { VMLists: null }), LIMITS));
    expect(v.sequenced).toBe(false);
    expect(v.deadlineMinutes).toBeUndefined();
  });

  it("accepts range boundaries", () => {
    expect(ok(parseScheduledRequest(base({ SequenceDelaySeconds: 3600, DeadlineMinutes: 5 }), LIMITS))).toMatchObject({
      sequenceDelaySeconds: 3600,
      deadlineMinutes: 5,
    });
    expect(ok(parseScheduledRequest(base({ SequenceDelaySeconds: 0, DeadlineMinutes: "1440" }), LIMITS))).toMatchObject({
      sequenceDelaySeconds: 0,
      deadlineMinutes: 1440,
    });
  });

  it("accepts trailing slashes and any casing, and deduplicates every list", () => {
    const v = ok(
      parseScheduledRequest(
        {
          Action: "Start",
          RequestScopes: {
            Subscriptions: [`/subscriptions/${SUB}/`, `/subscriptions/${SUB.toUpperCase()}`, `/SUBSCRIPTIONS/${SUB}`],
            ResourceGroups: [RG, RG.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"), RG.slice(0, -1)],
            VMLists: [VM("Web1"), `${VM("web1")}/`, VM("WEB1").toUpperCase()],
            ExcludedVMLists: ["Az*", "az*", "Name1", "NAME1", VM("x"), VM("X").toUpperCase()],
          },
        },
        LIMITS,
      ),
    );
    expect(v.scopes.subscriptions).toEqual([SUB]);
    expect(v.scopes.resourceGroups).toHaveLength(1);
    expect(v.scopes.vms).toEqual([{ subscriptionId: SUB, resourceGroup: "rg-app", name: "Web1" }]);
    expect(v.scopes.exclusions).toEqual([
      { kind: "namePrefix", prefix: "Az" },
      { kind: "name", name: "Name1" },
      { kind: "id", key: VM("x").toLowerCase() },
    ]);
  });
});

describe("parseScheduledRequest: EnableClassic (v2's documented examples carry true)", () => {
  it("accepts the v2 docs' VMLists example with EnableClassic true, unchanged", () => {
    const body = { Action: "stop", EnableClassic: true, RequestScopes: { ExcludedVMLists: [], VMLists: [VM("vm1", "rg1"), VM("vm2", "rg3")] } };
    const v = ok(parseScheduledRequest(body, LIMITS));
    expect(v.action).toBe("stop");
    expect(v.scopes.vms.map((vm) => vm.name).sort()).toEqual(["vm1", "vm2"]);
  });

  it("still names a classic VM id in full when EnableClassic is true", () => {
    const ps = problems(parseScheduledRequest(base({ EnableClassic: true }, { VMLists: [VM("vm1"), CLASSIC] }), LIMITS));
    expect(ps).toHaveLength(1);
    expect(ps[0].field).toBe("RequestScopes.VMLists[1]");
    expect(ps[0].message).toContain(CLASSIC);
  });
});

describe("parseScheduledRequest: problems", () => {
  // Each row: a distinct kind of bad input, the field the problem must name, and a fragment of its message.
  const cases: Array<[string, unknown, string, RegExp]> = [
    ["body is null", null, BODY_FIELD, /JSON object/],
    ["body is an array", [base()], BODY_FIELD, /JSON object/],
    ["body is a string", JSON.stringify(base()), BODY_FIELD, /JSON object/],
    ["Action missing", { RequestScopes: base().RequestScopes }, "Action", /required.*"start" or "stop"/],
    ["Action restart", base({ Action: "restart" }), "Action", /"start" or "stop"/],
    ["Action number", base({ Action: 1 }), "Action", /"start" or "stop"/],
    ["classic VM id in VMLists", base({}, { VMLists: [CLASSIC] }), "RequestScopes.VMLists[0]", /classic VM.*retired on 2023-09-06/],
    ["classic VM id in ExcludedVMLists", base({}, { ExcludedVMLists: [CLASSIC] }), "RequestScopes.ExcludedVMLists[0]", /classic VM.*Microsoft\.ClassicCompute/],
    ["EnableClassic junk", base({ EnableClassic: "yes" }), "EnableClassic", /true or false/],
    ["Sequenced number", base({ Sequenced: 1 }), "Sequenced", /true or false/],
    ["WhatIf object", base({ WhatIf: {} }), "WhatIf", /true or false/],
    ["ContinueOnError string", base({ ContinueOnError: "maybe" }), "ContinueOnError", /true or false/],
    ["SequenceDelaySeconds too big", base({ SequenceDelaySeconds: 3601 }), "SequenceDelaySeconds", /integer from 0 to 3600/],
    ["SequenceDelaySeconds negative", base({ SequenceDelaySeconds: -1 }), "SequenceDelaySeconds", /0 to 3600/],
    ["SequenceDelaySeconds fraction", base({ SequenceDelaySeconds: 1.5 }), "SequenceDelaySeconds", /integer/],
    ["SequenceDelaySeconds non-numeric string", base({ SequenceDelaySeconds: "10s" }), "SequenceDelaySeconds", /integer/],
    ["DeadlineMinutes too small", base({ DeadlineMinutes: 4 }), "DeadlineMinutes", /integer from 5 to 1440/],
    ["DeadlineMinutes too big string", base({ DeadlineMinutes: "1441" }), "DeadlineMinutes", /5 to 1440/],
    ["unknown top-level key, near miss", base({ Sequence: true }), "Sequence", /did you mean "Sequenced"/],
    ["unknown top-level key, far", base({ Colour: "red" }), "Colour", /unknown key "Colour"; known keys are/],
    ["scope key at top level", base({ VMLists: [VM("a")] }), "VMLists", /belongs inside RequestScopes/],
    ["unknown RequestScopes key VMList", base({}, { VMList: [VM("a")] }), "RequestScopes.VMList", /did you mean "RequestScopes.VMLists"/],
    ["unknown RequestScopes key Subscription", base({}, { Subscription: [] }), "RequestScopes.Subscription", /did you mean "RequestScopes.Subscriptions"/],
    ["key given twice in different casing", { ...base(), action: "stop" }, "Action", /given twice/],
    ["RequestScopes missing", { Action: "start" }, "RequestScopes", /required/],
    ["RequestScopes is an array", base({ RequestScopes: [] }), "RequestScopes", /must be an object/],
    ["all scope lists empty", base({ RequestScopes: { Subscriptions: [], ExcludedVMLists: ["x"] } }), "RequestScopes", /at least one of Subscriptions, ResourceGroups or VMLists/],
    ["list is a string", base({}, { VMLists: VM("a") }), "RequestScopes.VMLists", /array of strings/],
    ["list entry a number", base({}, { Subscriptions: [`/subscriptions/${SUB}/`, 42] }), "RequestScopes.Subscriptions[1]", /expected a string of the form "\/subscriptions\/<subscription-id>\/"/],
    ["subscription bare GUID", base({}, { Subscriptions: [SUB] }), "RequestScopes.Subscriptions[0]", /bare subscription id/],
    ["subscription not a GUID", base({}, { Subscriptions: ["/subscriptions/prod/"] }), "RequestScopes.Subscriptions[0]", /\/subscriptions\/<subscription-id>\//],
    ["empty string entry", base({}, { ResourceGroups: [""] }), "RequestScopes.ResourceGroups[0]", /empty entry; expected "\/subscriptions\/<subscription-id>\/resourceGroups\/<name>\/"/],
    ["resource group name invalid", base({}, { ResourceGroups: [`/subscriptions/${SUB}/resourceGroups/bad name/`] }), "RequestScopes.ResourceGroups[0]", /resourceGroups\/<name>\//],
    ["VM id in ResourceGroups", base({}, { ResourceGroups: [VM("a")] }), "RequestScopes.ResourceGroups[0]", /put it in VMLists/],
    ["resource group id in VMLists", base({}, { VMLists: [RG] }), "RequestScopes.VMLists[0]", /put it in ResourceGroups/],
    ["VM name instead of id in VMLists", base({}, { VMLists: [VM("ok"), "vm1"] }), "RequestScopes.VMLists[1]", /providers\/Microsoft.Compute\/virtualMachines\/<vm-name>/],
    ["classic VM in VMLists", base({}, { VMLists: [CLASSIC] }), "RequestScopes.VMLists[0]", /classic VM.*retired on 2023-09-06/],
    ["classic VM in ExcludedVMLists", base({}, { ExcludedVMLists: [CLASSIC] }), "RequestScopes.ExcludedVMLists[0]", /retired on 2023-09-06/],
    ["lone * exclusion", base({}, { ExcludedVMLists: ["*"] }), "RequestScopes.ExcludedVMLists[0]", /exclude every VM/],
    ["leading * exclusion", base({}, { ExcludedVMLists: ["*web"] }), "RequestScopes.ExcludedVMLists[0]", /only allowed once, at the end/],
    ["double * exclusion", base({}, { ExcludedVMLists: ["a**"] }), "RequestScopes.ExcludedVMLists[0]", /only allowed once/],
    ["middle * exclusion", base({}, { ExcludedVMLists: ["a*b"] }), "RequestScopes.ExcludedVMLists[0]", /at the end/],
    ["invalid exclusion prefix", base({}, { ExcludedVMLists: ["_x*"] }), "RequestScopes.ExcludedVMLists[0]", /cannot begin a VM name/],
    ["invalid exclusion name", base({}, { ExcludedVMLists: ["my vm"] }), "RequestScopes.ExcludedVMLists[0]", /not a valid VM name/],
    ["bad id in ExcludedVMLists", base({}, { ExcludedVMLists: [RG] }), "RequestScopes.ExcludedVMLists[0]", /not a VM id/],
    ["ExcludedVMLists entry null", base({}, { ExcludedVMLists: [null] }), "RequestScopes.ExcludedVMLists[0]", /got null/],
    ["too many entries", base({}, { VMLists: Array.from({ length: 50 }, (_, i) => VM(`vm${i}`)) }), "RequestScopes", /too many entries: 51.*limit is 50/],
  ];

  it.each(cases)("%s → problem on the right field", (_label, body, field, message) => {
    const ps = problems(parseScheduledRequest(body, LIMITS));
    const hit = ps.find((p) => p.field === field && message.test(p.message));
    expect(hit, `problems were ${JSON.stringify(ps, null, 1)}`).toBeDefined();
  });

  it("covers at least 20 distinct kinds of bad input", () => {
    expect(new Set(cases.map((c) => c[0])).size).toBeGreaterThanOrEqual(20);
  });

  it("collects every problem instead of stopping at the first", () => {
    const ps = problems(
      parseScheduledRequest(
        {
          Action: "reboot",
          EnableClassic: true,
          WhatIf: 3,
          DeadlineMinutes: 0,
          VMList: [],
          RequestScopes: { Subscriptions: ["x", SUB], VMLists: [CLASSIC], ExcludedVMLists: ["*"] },
        },
        LIMITS,
      ),
    );
    expect(ps.map((p) => p.field).sort()).toEqual(
      [
        "Action",
        "WhatIf",
        "DeadlineMinutes",
        "VMList",
        "RequestScopes.Subscriptions[0]",
        "RequestScopes.Subscriptions[1]",
        "RequestScopes.VMLists[0]",
        "RequestScopes.ExcludedVMLists[0]",
      ].sort(),
    );
  });

  it("counts the limit over all four lists, before dedup", () => {
    const s = `/subscriptions/${SUB}/`;
    const r = parseScheduledRequest(base({}, { Subscriptions: [s, s], ResourceGroups: [RG], VMLists: [VM("a")], ExcludedVMLists: ["b"] }), {
      maxScopeEntries: 4,
    });
    expect(problems(r)).toEqual([expect.objectContaining({ field: "RequestScopes", message: expect.stringMatching(/5.*limit is 4/) })]);
    expect(parseScheduledRequest(base({}, { ResourceGroups: [RG], VMLists: [VM("a")], ExcludedVMLists: ["b"] }), { maxScopeEntries: 4 }).ok).toBe(true);
  });

  it("caps entry problems and summarises the rest", () => {
    const ps = problems(parseScheduledRequest(base({}, { VMLists: Array.from({ length: 250 }, () => "junk") }), { maxScopeEntries: 1000 }));
    expect(ps.filter((p) => p.field.startsWith("RequestScopes.VMLists[")).length).toBe(MAX_ENTRY_PROBLEMS);
    expect(ps).toContainEqual({ field: "RequestScopes", message: expect.stringMatching(/^150 more malformed entries/) });
  });

  it("keeps messages bounded for huge strings", () => {
    const ps = problems(parseScheduledRequest(base({ Action: "x".repeat(100_000) }), LIMITS));
    expect(ps[0]!.message.length).toBeLessThan(300);
  });
});

describe("parseScheduledRequest: never throws", () => {
  // Deterministic pseudo-random garbage generator (no dependency on Math.random for reproducibility).
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const atoms: unknown[] = [
    null, undefined, 0, -1, 1.5, NaN, Infinity, "", "start", "*", "Az*", SUB, RG, VM("a"), CLASSIC, true, false, "true",
    "__proto__", "constructor", [], {},
  ];
  const keys = ["Action", "RequestScopes", "Subscriptions", "ResourceGroups", "VMLists", "ExcludedVMLists", "EnableClassic",
    "Sequenced", "WhatIf", "DeadlineMinutes", "SequenceDelaySeconds", "__proto__", "constructor", "toString", "x"];
  const gen = (depth: number): unknown => {
    const k = rnd(depth > 3 ? 1 : 3);
    if (k === 0) return atoms[rnd(atoms.length)];
    if (k === 1) return Array.from({ length: rnd(4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(5); i > 0; i--) o[keys[rnd(keys.length)]!] = gen(depth + 1);
    return o;
  };

  it("returns a result for 2,000 random garbage bodies and JSON-parsed oddities", () => {
    const inputs: unknown[] = [
      ...atoms,
      JSON.parse('{"__proto__":{"Action":"start"},"RequestScopes":{"__proto__":[]}}'),
      Object.create(null),
      new Date(0),
      { Action: "start", RequestScopes: { Subscriptions: [[`/subscriptions/${SUB}/`]], VMLists: [{}], ResourceGroups: [1, null] } },
      {
        get Action(): string {
          throw new Error("boom");
        },
      },
    ];
    for (let i = 0; i < 2000; i++) inputs.push(gen(0));
    for (const body of inputs) {
      const r = parseScheduledRequest(body, LIMITS);
      expect(typeof r.ok).toBe("boolean");
      if (!r.ok) {
        expect(r.problems.length).toBeGreaterThan(0);
        for (const p of r.problems) {
          expect(typeof p.field).toBe("string");
          expect(typeof p.message).toBe("string");
        }
      }
    }
  });
});
