/**
 * Self-update's trust rules, on in-memory twins of its ports: asset URLs must be https on the feed's host, a heartbeat
 * counts only when the new version ran it (an older or unrelated one rolls back, never confirms), and a download that
 * failed for a passing reason is tried again instead of being refused forever.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkForUpdate, verifyUpdate } from "../../src/autoUpdate/autoUpdate";
import { assetAllowed, packageName, usableReleases } from "../../src/autoUpdate/release";
import { parseSigningKey } from "../../src/autoUpdate/signature";
import type { AutoUpdateDeps, AutoUpdateMessage } from "../../src/autoUpdate/updateDeps";
import { MemoryQueue } from "../twins/memoryQueue";
import { MemoryAutoUpdateStore } from "../twins/memoryAutoUpdateStore";
import { createHash } from "node:crypto";

const FEED = "https://api.github.com/repos/o/startstop-vms-next/releases";
const keys = generateKeyPairSync("ed25519");
const publicKey = keys.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");

function world(options: { failDownloads?: number } = {}) {
  const files = new Map<string, Buffer>();
  const release = (version: string) => {
    const zip = packageName(version);
    const url = `https://github.com/o/startstop-vms-next/releases/download/v${version}/${zip}`;
    const bytes = Buffer.from(`package ${version}`);
    files.set(url, bytes);
    files.set(`${url}.sha256`, Buffer.from(createHash("sha256").update(bytes).digest("hex")));
    files.set(`${url}.sig`, Buffer.from(sign(null, bytes, keys.privateKey).toString("base64")));
    return { tag_name: `v${version}`, assets: [zip, `${zip}.sha256`, `${zip}.sig`].map((name, i) => ({ name, browser_download_url: [url, `${url}.sha256`, `${url}.sig`][i] })) };
  };
  const feed = [release("1.0.0"), release("1.1.0")];
  let failures = options.failDownloads ?? 0;
  const store = new MemoryAutoUpdateStore();
  const deployed: string[] = [];
  const staged = new Map<string, Buffer>();
  let beat: { ok: boolean; checkedAt: string; version?: string } | undefined;
  let now = Date.parse("2026-11-23T03:00:00Z");
  const queue = new MemoryQueue<AutoUpdateMessage>();
  const deps: AutoUpdateDeps = {
    feed: {
      releases: async () => feed,
      download: async (url) => {
        if (failures > 0) {
          failures--;
          throw new Error("the download answered HTTP 503");
        }
        return files.get(url)!;
      },
    },
    deployer: { deploy: async (url) => void deployed.push(url) },
    staging: { stage: async (name, bytes) => (staged.set(name, bytes), `https://st.blob.core.windows.net/app-package/${name}`) },
    store,
    heartbeat: { read: async () => beat },
    queue,
    clock: { now: () => new Date(now), sleep: async () => undefined, appSeconds: (s) => s, realSeconds: (s) => s },
    telemetry: { event: () => undefined } as unknown as AutoUpdateDeps["telemetry"],
    settings: { mode: "apply", runningVersion: "1.0.0", verifyMinutes: 15, feedUrl: FEED, signingKey: parseSigningKey(publicKey) },
  };
  return { deps, deployed, staged, attempts: { values: () => store.all() }, queue, setBeat: (b: typeof beat) => (beat = b), advance: (ms: number) => (now += ms) };
}

describe("self-update trust", () => {
  it("asset URLs elsewhere than the feed's host, or not https, are never downloaded", () => {
    expect(assetAllowed("https://github.com/o/r/releases/download/v1/x.zip", FEED)).toBe(true); // api.github.com → github.com
    expect(assetAllowed("https://api.github.com/x.zip", FEED)).toBe(true);
    expect(assetAllowed("http://github.com/x.zip", FEED)).toBe(false);
    expect(assetAllowed("https://evil.example/x.zip", FEED)).toBe(false);
    expect(assetAllowed("https://github.com.evil.example/x.zip", FEED)).toBe(false);
    expect(assetAllowed("https://user:pw@github.com/x.zip", FEED)).toBe(false);
    expect(assetAllowed("file:///etc/passwd", FEED)).toBe(false);
    const feed = [{ tag_name: "v2.0.0", assets: ["", ".sha256", ".sig"].map((ext) => ({ name: `${packageName("2.0.0")}${ext}`, browser_download_url: `https://evil.example/${packageName("2.0.0")}${ext}` })) }];
    expect(usableReleases(feed, FEED)).toEqual([]);
  });

  it("an update is confirmed only by a passing heartbeat the new version ran; an older version's heartbeat rolls it back", async () => {
    const w = world();
    expect(await checkForUpdate(w.deps)).toBe("deployed");
    const [attempt] = [...w.attempts.values()];
    expect(w.deployed).toEqual([attempt!.stagedUrl]);
    w.advance(60_000);
    // A passing heartbeat after the deployment, but run by 1.0.0: the new version never started.
    w.setBeat({ ok: true, checkedAt: new Date(Date.parse("2026-11-23T03:00:30Z")).toISOString(), version: "1.0.0" });
    const verdict = await verifyUpdate(w.deps, attempt!.attemptId);
    expect(verdict).toMatchObject({ state: "RolledBack" });
    expect(verdict!.reason).toMatch(/run by 1\.0\.0, not 1\.1\.0 \(the new version did not start\)/);
    expect(w.deployed).toHaveLength(2);
    expect(w.deployed[1]).toContain("startstop-vms-next-1.0.0-");
  });

  it("a passing heartbeat by the new version keeps it", async () => {
    const w = world();
    await checkForUpdate(w.deps);
    const [attempt] = [...w.attempts.values()];
    w.setBeat({ ok: true, checkedAt: "2026-11-23T03:00:30.000Z", version: "1.1.0" });
    expect(await verifyUpdate(w.deps, attempt!.attemptId)).toMatchObject({ state: "Succeeded" });
    expect(w.deployed).toHaveLength(1);
  });

  it("the new version checking itself before its first heartbeat waits for it instead of rolling back", async () => {
    const w = world();
    await checkForUpdate(w.deps);
    const [attempt] = [...w.attempts.values()];
    w.queue.take();
    w.deps.settings.runningVersion = "1.1.0"; // the platform runs the new package
    w.setBeat({ ok: true, checkedAt: "2026-11-23T03:00:30.000Z", version: "1.0.0" }); // the old version's last beat
    expect(await verifyUpdate(w.deps, attempt!.attemptId)).toMatchObject({ state: "Deployed" });
    expect(w.queue.take()).toEqual([{ kind: "verify", attemptId: attempt!.attemptId }]);
    w.setBeat({ ok: true, checkedAt: "2026-11-23T03:01:00.000Z", version: "1.1.0" });
    expect(await verifyUpdate(w.deps, attempt!.attemptId)).toMatchObject({ state: "Succeeded" });
    // Past twice the verification period with still no heartbeat of its own: rolled back.
    const late = world();
    await checkForUpdate(late.deps);
    const [stuck] = [...late.attempts.values()];
    late.deps.settings.runningVersion = "1.1.0";
    late.advance(31 * 60_000);
    expect(await verifyUpdate(late.deps, stuck!.attemptId)).toMatchObject({ state: "RolledBack" });
  });

  it("a download that fails for a passing reason is tried again at the next check, not refused forever", async () => {
    const w = world({ failDownloads: 1 });
    expect(await checkForUpdate(w.deps)).toBe("retrying");
    expect([...w.attempts.values()].map((a) => a.state)).toEqual(["Available"]);
    expect(await checkForUpdate(w.deps)).toBe("deployed");
    expect(w.deployed).toHaveLength(1);
  });

  it("without a pinned signing key nothing is deployed", async () => {
    const w = world();
    w.deps.settings.signingKey = undefined;
    expect(await checkForUpdate(w.deps)).toBe("refused");
    expect(w.deployed).toEqual([]);
  });
});
