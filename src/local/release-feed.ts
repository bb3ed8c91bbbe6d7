/**
 * A local release feed in the shape of GitHub's releases API, with downloadable assets: each release has the deploy
 * package `startstop-vms-next-<version>.zip` and its `.sha256` (or a wrong one, to test that it is refused).
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { packageName } from "../autoUpdate/release";

export interface RunningReleaseFeed {
  /** The releases API URL (RELEASE_FEED_URL). */
  url: string;
  publish(version: string, options?: { wrongChecksum?: boolean; prerelease?: boolean }): { packageUrl: string };
  close(): Promise<void>;
}

export async function startReleaseFeed(): Promise<RunningReleaseFeed> {
  const files = new Map<string, Buffer>();
  const releases: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === "/repos/startstop/startstop-vms-next/releases") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([...releases].reverse()));
      return;
    }
    const file = files.get(path);
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
    publish(version, options = {}) {
      const zip = packageName(version);
      const content = Buffer.from(`PK placeholder package of startstop-vms-next ${version}`);
      const sha = createHash("sha256").update(options.wrongChecksum ? Buffer.from("something else") : content).digest("hex");
      files.set(`/download/v${version}/${zip}`, content);
      files.set(`/download/v${version}/${zip}.sha256`, Buffer.from(`${sha}  ${zip}\n`));
      releases.push({
        tag_name: `v${version}`, draft: false, prerelease: options.prerelease === true, html_url: `${base}/releases/v${version}`,
        assets: [
          { name: zip, browser_download_url: `${base}/download/v${version}/${zip}` },
          { name: `${zip}.sha256`, browser_download_url: `${base}/download/v${version}/${zip}.sha256` },
        ],
      });
      return { packageUrl: `${base}/download/v${version}/${zip}` };
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
