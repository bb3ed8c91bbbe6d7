/**
 * The guardian's rule and its races, on in-memory twins of the self-update ports (the etag semantics of the attempts
 * table included): a version whose heartbeat passed is never rolled back; one that never passed is rolled back once
 * one and a half heartbeat periods have passed, to the package staged before it was deployed; two guardian ticks, or a tick and
 * the app's own verification, deciding from the same read deploy the previous package once; a rollback refused for a
 * passing reason is tried again at the next tick.
 */
import { describe, expect, it } from "vitest";
import { verifyUpdate } from "../../src/autoUpdate/autoUpdate";
import type { AutoUpdateDeps, AutoUpdateMessage, UpdateAttempt } from "../../src/autoUpdate/updateDeps";
import { guardianTick, type GuardianDeps } from "../../src/guardian/guardian";
import { ArmRequestError } from "../../src/domain/armError";
import { MemoryAutoUpdateStore } from "../twins/memoryAutoUpdateStore";
import { MemoryQueue } from "../twins/memoryQueue";

const PERIOD_S = 300;
const DEPLOYED_AT = Date.parse("2026-12-01T03:00:00Z");
const PREVIOUS = "https://st.blob.core.windows.net/app-package/startstop-vms-next-1.0.0-0123456789abcdef.zip";

function setup() {
  const store = new MemoryAutoUpdateStore();
  const deployed: string[] = [];
  const passed = new Map<string, Date>();
  let now = DEPLOYED_AT;
  let deployFailures: Error[] = [];
  const deployer = {
    deploy: async (url: string) => {
      const failure = deployFailures.shift();
      if (failure) throw failure;
      deployed.push(url);
    },
  };
  const clock = { now: () => new Date(now), sleep: async () => undefined, appSeconds: (s: number) => s, realSeconds: (s: number) => s };
  const guardian: GuardianDeps = {
    attempts: store, deployer, clock,
    heartbeats: { lastPassed: async (version) => passed.get(version) },
    telemetry: { event: () => undefined },
    settings: { heartbeatPeriodSeconds: PERIOD_S },
  };
  const app: AutoUpdateDeps = {
    feed: { releases: async () => [], download: async () => { throw new Error("a rollback never downloads"); } },
    deployer, store, clock,
    staging: { stage: async () => { throw new Error("a rollback never stages"); } },
    heartbeat: { read: async () => undefined },
    queue: new MemoryQueue<AutoUpdateMessage>(),
    telemetry: { event: () => undefined } as unknown as AutoUpdateDeps["telemetry"],
    // The old version runs again (the platform still serves it, or it answers the verify message after a restart).
    settings: { mode: "apply", runningVersion: "1.0.0", verifyMinutes: 15, feedUrl: "https://api.github.com/repos/o/r/releases" },
  };
  const attempt: UpdateAttempt = {
    attemptId: "a-1", at: new Date(DEPLOYED_AT), fromVersion: "1.0.0", toVersion: "1.1.0", state: "Deployed", reason: "1.1.0 deployed",
    packageUrl: "https://github.com/o/r/releases/download/v1.1.0/startstop-vms-next-1.1.0.zip", deployedAt: new Date(DEPLOYED_AT),
    stagedUrl: "https://st.blob.core.windows.net/app-package/startstop-vms-next-1.1.0-fedcba9876543210.zip", previousStagedUrl: PREVIOUS, previousSha256: "ab".repeat(32),
  };
  void store.save(attempt);
  return {
    store, deployed, guardian, app,
    at: (ms: number) => (now = DEPLOYED_AT + ms),
    pass: (version: string, atMs: number) => passed.set(version, new Date(DEPLOYED_AT + atMs)),
    failDeploys: (...errors: Error[]) => (deployFailures = errors),
  };
}

/** The first two conditional writes wait for each other: both deciders read the row before either changes it. */
function bothReadFirst(store: MemoryAutoUpdateStore): void {
  const real = store.replaceIfUnchanged.bind(store);
  const waiting: Array<() => void> = [];
  let calls = 0;
  store.replaceIfUnchanged = async (attempt) => {
    if (++calls <= 2) {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length === 2) waiting.forEach((r) => r());
      });
    }
    return real(attempt);
  };
}

describe("the guardian rolls back a release that cannot start, once", () => {
  it("waits one and a half heartbeat periods, then rolls back to the staged previous package and records RolledBack by the guardian", async () => {
    const w = setup();
    w.at(1.5 * PERIOD_S * 1000 - 1);
    expect((await guardianTick(w.guardian)).kind).toBe("waiting");
    expect(w.deployed).toEqual([]);
    w.at(1.5 * PERIOD_S * 1000);
    expect((await guardianTick(w.guardian)).kind).toBe("rolledBack");
    expect(w.deployed).toEqual([PREVIOUS]);
    const [row] = w.store.all();
    expect(row).toMatchObject({ state: "RolledBack", rollbackBy: "guardian" });
    expect(row!.reason).toMatch(/^1\.1\.0 did not start: no heartbeat by 1\.1\.0 passed within 1\.5 heartbeat periods \(7\.5 min\).*; rolled back by the guardian to 1\.0\.0$/);
    expect((await guardianTick(w.guardian)).kind).toBe("idle");
    expect(w.deployed).toHaveLength(1);
  });

  it("never rolls back a version whose heartbeat passed after its deployment, however long it stays Deployed", async () => {
    const w = setup();
    w.pass("1.1.0", 90_000);
    w.at(10 * PERIOD_S * 1000);
    expect((await guardianTick(w.guardian)).kind).toBe("started");
    // A pass before this deployment (an earlier run of the same version) does not count.
    const earlier = setup();
    earlier.pass("1.1.0", -60_000);
    earlier.at(2 * PERIOD_S * 1000);
    expect((await guardianTick(earlier.guardian)).kind).toBe("rolledBack");
    expect(w.deployed).toEqual([]);
  });

  it("two guardian ticks deciding from the same read deploy the previous package once", async () => {
    const w = setup();
    w.at(3 * PERIOD_S * 1000);
    bothReadFirst(w.store);
    const outcomes = await Promise.all([guardianTick(w.guardian), guardianTick(w.guardian)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["lost", "rolledBack"]);
    expect(w.deployed).toEqual([PREVIOUS]);
    expect(w.store.lostWrites).toBe(1);
  });

  it("a guardian tick racing the app's own verification deploys the previous package once, whoever wins", async () => {
    const w = setup();
    w.at(3 * PERIOD_S * 1000);
    bothReadFirst(w.store);
    const [tick, verdict] = await Promise.all([guardianTick(w.guardian), verifyUpdate(w.app, "a-1")]);
    expect(w.deployed).toEqual([PREVIOUS]);
    expect(w.store.lostWrites).toBe(1);
    const [row] = w.store.all();
    expect(row!.state).toBe("RolledBack");
    expect(verdict!.state).toBe("RolledBack");
    expect([tick.kind, row!.rollbackBy]).toEqual(tick.kind === "lost" ? ["lost", "app"] : ["rolledBack", "guardian"]);
  });

  it("the app confirming the update while the guardian decides: whoever wins, the row says what was deployed", async () => {
    const w = setup();
    w.at(3 * PERIOD_S * 1000);
    // The new version's first heartbeat passes just after the guardian read that none had.
    w.app.heartbeat.read = async () => ({ ok: true, checkedAt: new Date(DEPLOYED_AT + 3 * PERIOD_S * 1000 - 1).toISOString(), version: "1.1.0" });
    bothReadFirst(w.store);
    await Promise.all([guardianTick(w.guardian), verifyUpdate(w.app, "a-1")]);
    const [row] = w.store.all();
    expect(w.store.lostWrites).toBe(1);
    if (row!.state === "RolledBack") expect(w.deployed).toEqual([PREVIOUS]);
    else expect([row!.state, w.deployed]).toEqual(["Succeeded", []]);
  });

  it("a rollback refused for a passing reason stays the guardian's and is tried again at the next tick", async () => {
    const w = setup();
    w.at(2 * PERIOD_S * 1000);
    w.failDeploys(new ArmRequestError({ status: 429, code: "TooManyRequests", message: "throttled" }));
    const first = await guardianTick(w.guardian);
    expect(first.kind).toBe("retrying");
    expect(w.store.all()[0]).toMatchObject({ state: "RollingBack", rollbackBy: "guardian" });
    // The app's own verification does not take over a rollback the guardian holds.
    expect(await verifyUpdate(w.app, "a-1")).toMatchObject({ state: "RollingBack", rollbackBy: "guardian" });
    expect(w.deployed).toEqual([]);
    expect((await guardianTick(w.guardian)).kind).toBe("rolledBack");
    expect(w.deployed).toEqual([PREVIOUS]);
  });
});
