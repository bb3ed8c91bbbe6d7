/**
 * Every Logic App definition main.bicep deploys, compiled (bicep-eval.ts), validated with ajv against a Workflow
 * Definition Language schema written from Microsoft's public reference (schemas/workflow-definition.schema.json).
 * Seeded mistakes in a definition are each rejected, naming the place.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { compileBicep, Unknown } from "./bicep-eval";
import { INFRA } from "./bicep";

const ajv = new Ajv({ allErrors: true, strictTypes: false });
const validate = ajv.compile(JSON.parse(readFileSync(path.join(__dirname, "schemas/workflow-definition.schema.json"), "utf8")));

/** A deployment-time value (the app's host name) stands in as a string of the same kind. */
const known = (v: unknown): unknown =>
  v instanceof Unknown ? `https://deployment-time.example/${v.expr.length}` : Array.isArray(v) ? v.map(known) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, known(x)])) : v;

const errorsOf = (definition: unknown) => (validate(definition) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

let definitions: { name: string; definition: any }[];
beforeAll(async () => {
  const set = await compileBicep(path.join(INFRA, "main.bicep"), {
    environmentName: "prod", location: "westeurope", targetScopes: "/subscriptions/22222222-0000-4000-8000-000000000002/",
  }, { subscriptionId: "11111111-0000-4000-8000-000000000001", location: "westeurope" });
  definitions = set.resources.filter((r) => r.type === "Microsoft.Logic/workflows").map((r) => ({ name: r.body.name as string, definition: known((r.body.properties as any).definition) }));
});

describe("Logic App definitions against the Workflow Definition Language", () => {
  it("all five schedules are valid definitions", () => {
    expect(definitions.length).toBe(5);
    for (const d of definitions) expect(errorsOf(d.definition), d.name).toEqual([]);
  });

  const mutate = (change: (d: any) => void) => {
    const copy = structuredClone(definitions[0]!.definition);
    change(copy);
    return errorsOf(copy).join("\n");
  };

  it.each([
    ["a recurrence frequency that does not exist", (d: any) => { d.triggers.Recurrence.recurrence.frequency = "Weekly"; }, /\/triggers\/Recurrence\/recurrence\/frequency must be equal to one of the allowed values/],
    ["a runAfter status that does not exist", (d: any) => { d.actions.Initialize_state.runAfter.Post_request = ["Success"]; }, /\/actions\/Initialize_state\/runAfter\/Post_request\/0 must be equal to one of the allowed values/],
    ["an Http action without its uri", (d: any) => { delete d.actions.Post_request.inputs.uri; }, /\/actions\/Post_request\/inputs must have required property 'uri'/],
    ["a misspelled property of a nested action", (d: any) => { d.actions.Until_final.actions.Wait.inputs.intervall = d.actions.Until_final.actions.Wait.inputs.interval; delete d.actions.Until_final.actions.Wait.inputs.interval; }, /\/actions\/Until_final\/actions\/Wait\/inputs must NOT have additional properties/],
    ["a weekday schedule on a daily recurrence", (d: any) => { d.triggers.Recurrence.recurrence.frequency = "Day"; }, /\/triggers\/Recurrence\/recurrence\/frequency must be equal to constant/],
    ["an hour outside 0-23", (d: any) => { d.triggers.Recurrence.recurrence.schedule.hours = [24]; }, /\/schedule\/hours\/0 must be <= 23/],
    ["an unknown top-level section", (d: any) => { d.trigger = d.triggers; }, /must NOT have additional properties/],
  ])("rejects %s", (_what, change, expected) => {
    expect(mutate(change)).toMatch(expected);
  });
});
