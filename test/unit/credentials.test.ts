import { describe, expect, it } from "vitest";
import { simulatorCredential } from "../../src/adapters/credentials";

describe("simulatorCredential", () => {
  it("can never be created for a non-loopback endpoint", () => {
    expect(() => simulatorCredential("https://management.azure.com")).toThrow(/only for loopback/);
    expect(() => simulatorCredential("https://127.0.0.1.nip.io")).toThrow(/only for loopback/);
  });
  it("serves a token for the local simulator", async () => {
    const token = await simulatorCredential("https://127.0.0.1:8443").getToken("https://management.azure.com/.default");
    expect(token?.token).toBeTruthy();
  });
});
