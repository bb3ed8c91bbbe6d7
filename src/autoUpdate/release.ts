/**
 * Which release of the project to run: read from a feed in the shape of GitHub's releases API (`tag_name`, `draft`,
 * `prerelease`, `assets[{ name, browser_download_url }]`). A release is usable when it carries the deploy package
 * `startstop-vms-next-<version>.zip`, its checksum `….zip.sha256` and its signature `….zip.sig`, all three at https
 * URLs on the feed's own host (or, for a feed at `api.<host>` such as GitHub's API, on `<host>`). Pure.
 */
import { compareVersions, isVersion } from "../domain/semver";

export interface FeedRelease {
  tag_name?: unknown;
  draft?: unknown;
  prerelease?: unknown;
  html_url?: unknown;
  assets?: Array<{ name?: unknown; browser_download_url?: unknown }>;
}

export interface Release {
  version: string;
  packageUrl: string;
  checksumUrl: string;
  signatureUrl: string;
  pageUrl?: string;
}

/**
 * Whether an asset URL may be downloaded: https (http only on a loopback feed, the local world), on the feed's host or,
 * for a feed at `api.<host>`, on `<host>`. An asset elsewhere is skipped: a release entry cannot point the app anywhere.
 */
export function assetAllowed(assetUrl: string, feedUrl: string): boolean {
  let asset: URL;
  let feed: URL;
  try {
    asset = new URL(assetUrl);
    feed = new URL(feedUrl);
  } catch {
    return false;
  }
  const loopback = (h: string) => h === "localhost" || h === "[::1]" || /^127(\.\d{1,3}){3}$/.test(h);
  const secure = asset.protocol === "https:" || (asset.protocol === "http:" && feed.protocol === "http:" && loopback(feed.hostname) && loopback(asset.hostname));
  if (!secure || asset.username || asset.password) return false;
  const hosts = [feed.host.toLowerCase(), ...(feed.host.toLowerCase().startsWith("api.") ? [feed.host.toLowerCase().slice(4)] : [])];
  return hosts.includes(asset.host.toLowerCase());
}

export function packageName(version: string): string {
  return `startstop-vms-next-${version}.zip`;
}

/**
 * Every usable release, newest first (drafts, pre-releases, releases without all three assets, and assets the feed's
 * host does not serve are skipped). Without `feedUrl` the assets' hosts are not checked (only showing what exists).
 */
export function usableReleases(feed: unknown, feedUrl?: string): Release[] {
  if (!Array.isArray(feed)) throw new Error("the release feed did not answer with a JSON array of releases");
  const out: Release[] = [];
  for (const r of feed as FeedRelease[]) {
    if (r.draft === true || r.prerelease === true || typeof r.tag_name !== "string" || !isVersion(r.tag_name)) continue;
    const version = r.tag_name.trim().replace(/^v/i, "");
    const asset = (name: string) => {
      const url = r.assets?.find((a) => a.name === name)?.browser_download_url;
      return typeof url === "string" && (feedUrl === undefined || assetAllowed(url, feedUrl)) ? url : undefined;
    };
    const packageUrl = asset(packageName(version));
    const checksumUrl = asset(`${packageName(version)}.sha256`);
    const signatureUrl = asset(`${packageName(version)}.sig`);
    if (!packageUrl || !checksumUrl || !signatureUrl) continue;
    out.push({ version, packageUrl, checksumUrl, signatureUrl, pageUrl: typeof r.html_url === "string" ? r.html_url : undefined });
  }
  return out.sort((a, b) => compareVersions(b.version, a.version));
}

export type UpdateDecision =
  | { kind: "upToDate"; running: string }
  | { kind: "newer"; running: string; release: Release; previous?: Release };

export function decideUpdate(feed: unknown, running: string, feedUrl?: string): UpdateDecision {
  const releases = usableReleases(feed, feedUrl);
  const newest = releases[0];
  if (!newest || compareVersions(newest.version, running) <= 0) return { kind: "upToDate", running };
  return { kind: "newer", running, release: newest, previous: releases.find((r) => compareVersions(r.version, running) === 0) };
}

/** The SHA-256 in a `.sha256` file: the first 64 hex characters (sha256sum's "hash  name" format or the bare hash). */
export function parseChecksum(text: string): string | undefined {
  return /^\s*([0-9a-fA-F]{64})\b/.exec(text)?.[1]?.toLowerCase();
}
