/**
 * A local release feed in the shape of GitHub's releases API, with downloadable assets: each release has the deploy
 * package `startstop-vms-next-<version>.zip`, its `.sha256` (or a wrong one) and its Ed25519 signature `.sig`, made
 * with the feed's own signing key (`publicKey` is what AUTO_UPDATE_SIGNING_KEY pins), or with another key, or none.
 * A release can also be swapped after its first download (the attack on verifying one download and deploying another),
 * or be one that cannot start (its placeholder says so: the platform model then runs an app that fails to load), and
 * every download is counted.
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { packageName } from "../autoUpdate/release";

/** What a placeholder package of a release that cannot start says (read by src/local/deployedPackages.ts). */
export const CANNOT_START_MARK = "(cannot start: its entry point throws while loading)";

export interface PublishOptions {
  wrongChecksum?: boolean;
  prerelease?: boolean;
  /** No `.sig` asset at all, or one made with a key the app does not pin. */
  signature?: "none" | "otherKey";
  /** Serve other bytes (with the same name) from the second download of the package on. */
  swapAfterFirstDownload?: boolean;
  /** A signed, valid release whose code cannot start (src/local/deployedPackages.ts runs it as an app that fails to load). */
  cannotStart?: boolean;
}

export interface RunningReleaseFeed {
  /** The releases API URL (RELEASE_FEED_URL). */
  url: string;
  /** The feed's signing public key, base64 of its 32 raw bytes (AUTO_UPDATE_SIGNING_KEY). */
  publicKey: string;
  publish(version: string, options?: PublishOptions): { packageUrl: string; sha256: string };
  /** How often each path was downloaded. */
  downloads: Map<string, number>;
  close(): Promise<void>;
}

const signingKeys = () => generateKeyPairSync("ed25519");
const rawPublicKey = (key: ReturnType<typeof signingKeys>["publicKey"]) => key.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");

export async function startReleaseFeed(): Promise<RunningReleaseFeed> {
  const files = new Map<string, Buffer>();
  const swapped = new Map<string, Buffer>();
  const downloads = new Map<string, number>();
  const releases: unknown[] = [];
  const keys = signingKeys();
  const otherKeys = signingKeys();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/repos/startstop/startstop-vms-next/releases") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([...releases].reverse()));
      return;
    }
    const count = (downloads.get(path) ?? 0) + 1;
    downloads.set(path, count);
    const file = count > 1 && swapped.has(path) ? swapped.get(path) : files.get(path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": file.length }).end(file);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/repos/startstop/startstop-vms-next/releases`,
    publicKey: rawPublicKey(keys.publicKey),
    downloads,
    publish(version, options = {}) {
      const zip = packageName(version);
      const content = Buffer.from(`PK placeholder package of startstop-vms-next ${version}${options.cannotStart ? ` ${CANNOT_START_MARK}` : ""}`);
      const sha = createHash("sha256").update(options.wrongChecksum ? Buffer.from("something else") : content).digest("hex");
      const packagePath = `/download/v${version}/${zip}`;
      files.set(packagePath, content);
      files.set(`${packagePath}.sha256`, Buffer.from(`${sha}  ${zip}\n`));
      if (options.swapAfterFirstDownload) swapped.set(packagePath, Buffer.from(`PK placeholder package of startstop-vms-next ${version} with a backdoor`));
      if (options.signature !== "none") {
        const signer = options.signature === "otherKey" ? otherKeys.privateKey : keys.privateKey;
        files.set(`${packagePath}.sig`, Buffer.from(`${sign(null, content, signer).toString("base64")}\n`));
      }
      releases.push({
        tag_name: `v${version}`, draft: false, prerelease: options.prerelease === true, html_url: `${base}/releases/v${version}`,
        assets: [
          { name: zip, browser_download_url: `${base}${packagePath}` },
          { name: `${zip}.sha256`, browser_download_url: `${base}${packagePath}.sha256` },
          ...(options.signature !== "none" ? [{ name: `${zip}.sig`, browser_download_url: `${base}${packagePath}.sig` }] : []),
        ],
      });
      return { packageUrl: `${base}${packagePath}`, sha256: createHash("sha256").update(content).digest("hex") };
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
