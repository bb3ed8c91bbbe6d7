import { describe, expect, it } from "vitest";
import { parseExecutionMessage, parseOrchestrationMessage } from "../../src/engine/messages";

// A message as a .NET v2 function would write it: PascalCase fields, no "requestId".
const v2Like = JSON.stringify({ Action: "start", EnableClassic: false, RequestScopes: { VMLists: ["/subscriptions/x"] }, CorrelationId: "c1" });

describe("queue messages from Start/Stop VMs v2 are refused loudly", () => {
  it.each([
    ["orchestration-request", () => parseOrchestrationMessage(v2Like)],
    ["execution-request", () => parseExecutionMessage(v2Like)],
  ])("%s: the error says it looks like v2 and that storage must not be shared", (queue, parse) => {
    expect(parse).toThrow(new RegExp(`Refused ${queue} message: it looks like a Start/Stop VMs v2 message`));
    expect(parse).toThrow(/must never share a storage account with a running Start\/Stop VMs v2/);
    expect(parse).toThrow(/CorrelationId/);
  });

  it("our own messages still parse, and our malformed ones keep their precise error", () => {
    expect(parseOrchestrationMessage(JSON.stringify({ requestId: "r1" }))).toEqual({ requestId: "r1", attempt: undefined });
    expect(parseExecutionMessage({ type: "verify", requestId: "r1", subscriptionId: "s", sweep: 0 })).toMatchObject({ type: "verify" });
    expect(() => parseOrchestrationMessage({ attempt: 1 })).toThrow(/Malformed orchestration-request message \("requestId"/);
    expect(() => parseExecutionMessage({ requestId: "r", Type: "act" })).toThrow(/Malformed execution-request message \("type"/);
  });
});
