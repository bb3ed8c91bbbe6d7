/** Reading the release feed (GitHub's releases API or the same shape elsewhere) and downloading its assets over https. */
import type { ReleaseFeedReader } from "../autoUpdate/updateDeps";

const MAX_PACKAGE_BYTES = 200 * 1024 * 1024;

export class HttpReleaseFeed implements ReleaseFeedReader {
  constructor(private readonly feedUrl: string, private readonly timeoutMs = 60_000) {}

  async releases(): Promise<unknown> {
    const res = await fetch(this.feedUrl, { headers: { accept: "application/vnd.github+json", "user-agent": "startstop-vms-next" }, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`the release feed answered HTTP ${res.status}`);
    return res.json();
  }

  async download(url: string): Promise<Buffer> {
    const res = await fetch(url, { headers: { accept: "application/octet-stream", "user-agent": "startstop-vms-next" }, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`downloading ${new URL(url).pathname.split("/").pop()} answered HTTP ${res.status}`);
    const length = Number(res.headers.get("content-length") ?? 0);
    if (length > MAX_PACKAGE_BYTES) throw new Error(`the download is larger than ${MAX_PACKAGE_BYTES} bytes`);
    return Buffer.from(await res.arrayBuffer());
  }
}
