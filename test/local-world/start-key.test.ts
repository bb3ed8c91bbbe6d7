/** `npm start -- --azure` manages real VMs: it must refuse the published default key and short keys. */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/local/world";
import { chooseFunctionKey, DEFAULT_LOCAL_KEY, MIN_AZURE_KEY_LENGTH } from "../../src/local/functionKey";

function startAzure(key: string) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, "dist/src/local/start.js"), "--azure"], {
    env: { ...process.env, LOCAL_FUNCTION_KEY: key, HOST_PORT: "1" },
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("npm start -- --azure", () => {
  it("refuses the published default key before starting anything", () => {
    const run = startAzure(DEFAULT_LOCAL_KEY);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/published default "local-dev-key"/);
    expect(run.stdout).not.toMatch(/Managing real Azure VMs/);
  });

  it("refuses a key shorter than 32 characters", () => {
    const run = startAzure("a-short-but-not-default-key");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/at least 32/);
  });
});

describe("chooseFunctionKey", () => {
  const fixedRandom = (n: number) => Buffer.alloc(n, 7);

  it("generates a random key of 43 characters when none is given with --azure", () => {
    const choice = chooseFunctionKey(true, undefined, fixedRandom);
    expect(choice).toEqual({ ok: true, key: Buffer.alloc(32, 7).toString("base64url"), generated: true });
    if (choice.ok) expect(choice.key.length).toBeGreaterThanOrEqual(MIN_AZURE_KEY_LENGTH);
  });

  it("accepts a long key with --azure and any key (default local-dev-key) against the simulator", () => {
    const long = "x".repeat(MIN_AZURE_KEY_LENGTH);
    expect(chooseFunctionKey(true, long)).toEqual({ ok: true, key: long, generated: false });
    expect(chooseFunctionKey(false, undefined)).toEqual({ ok: true, key: DEFAULT_LOCAL_KEY, generated: false });
    expect(chooseFunctionKey(false, "k")).toEqual({ ok: true, key: "k", generated: false });
  });
});
