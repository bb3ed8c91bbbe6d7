import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";

describe("loadConfig", () => {
  it("reads a connection string and defaults to real Azure", () => {
    const c = loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true" });
    expect(c.armEndpoint).toBe("https://management.azure.com");
    expect(c.armIsLocalSimulator).toBe(false);
    expect(c.deadlineMinutes).toBe(120);
  });
  it("accepts identity-based storage (no keys)", () => {
    const c = loadConfig({
      AzureWebJobsStorage__queueServiceUri: "https://acct.queue.core.windows.net",
      AzureWebJobsStorage__tableServiceUri: "https://acct.table.core.windows.net",
      AzureWebJobsStorage__clientId: "abc",
    });
    expect(c.storage).toEqual({ kind: "identity", queueServiceUri: "https://acct.queue.core.windows.net", tableServiceUri: "https://acct.table.core.windows.net", clientId: "abc" });
  });
  it("names every bad setting at once", () => {
    try {
      loadConfig({ ARM_ENDPOINT: "http://example.com", VERIFY_INTERVAL_SECONDS: "abc", ARM_CA_CERT_PATH: "/x.pem" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toMatch(/Storage is not configured/);
      expect(message).toMatch(/ARM_ENDPOINT must be an https URL/);
      expect(message).toMatch(/VERIFY_INTERVAL_SECONDS must be an integer between 1 and 300 \(got "abc"\)/);
      expect(message).toMatch(/ARM_CA_CERT_PATH is only for the local ARM simulator/);
    }
  });
  it("treats only loopback endpoints as the simulator", () => {
    expect(loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true", ARM_ENDPOINT: "https://127.0.0.1:8443" }).armIsLocalSimulator).toBe(true);
    expect(loadConfig({ AzureWebJobsStorage: "UseDevelopmentStorage=true", ARM_ENDPOINT: "https://localhost.evil.com" }).armIsLocalSimulator).toBe(false);
  });
});
