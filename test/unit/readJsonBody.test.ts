/** readJsonBody: the one gate every HTTP function with a body goes through (415, 413, 400, or the value). */
import { HttpRequest } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { readJsonBody } from "../../src/functions/shared/http";

const request = (body: string, headers: Record<string, string>) =>
  new HttpRequest({ method: "POST", url: "http://127.0.0.1/api/Scheduled", headers, body: { string: body } });
const problemOf = (result: Awaited<ReturnType<typeof readJsonBody>>) => {
  if (result.ok) throw new Error("expected a problem");
  return { status: result.response.status, body: JSON.parse(String(result.response.body)) };
};

describe("readJsonBody", () => {
  it("returns the parsed value and the raw text for application/json, with parameters and in any case", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "Application/JSON"]) {
      const result = await readJsonBody(request('{"Action":"start"}', { "content-type": type }), 1024);
      expect(result).toEqual({ ok: true, value: { Action: "start" }, text: '{"Action":"start"}' });
    }
  });

  it("answers 415 naming the content-type header for anything else, before reading the body", async () => {
    for (const headers of [{ "content-type": "text/plain" } as Record<string, string>, { "content-type": "application/x-www-form-urlencoded" }, { "content-type": "application/jsonx" }, {}]) {
      const problem = problemOf(await readJsonBody(request("{}", headers), 1024));
      expect(problem.status).toBe(415);
      expect(problem.body.errors).toEqual([{ field: "content-type (header)", message: "must be application/json" }]);
    }
  });

  it("answers 413 when the declared or the actual size is over the limit", async () => {
    const big = JSON.stringify({ pad: "x".repeat(2000) });
    expect(problemOf(await readJsonBody(request("{}", { "content-type": "application/json", "content-length": "5000" }), 1024)).status).toBe(413);
    expect(problemOf(await readJsonBody(request(big, { "content-type": "application/json" }), 1024)).status).toBe(413);
  });

  it("answers 400 naming the body when it is not JSON", async () => {
    const problem = problemOf(await readJsonBody(request("{Action: start", { "content-type": "application/json" }), 1024));
    expect(problem.status).toBe(400);
    expect(problem.body.errors[0].field).toBe("(body)");
    expect(problem.body.errors[0].message).toMatch(/must be JSON/);
  });
});
