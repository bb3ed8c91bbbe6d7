/**
 * Which release of the project to run: read from a feed in the shape of GitHub's releases API (`tag_name`, `draft`,
 * `prerelease`, `assets[{ name, browser_download_url }]`). A release is usable when it carries the deploy package
 * `startstop-vms-next-<version>.zip` and its checksum `startstop-vms-next-<version>.zip.sha256`. Pure.
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
  pageUrl?: string;
}

export function packageName(version: string): string {
  return `startstop-vms-next-${version}.zip`;
}

/** Every usable release, newest first (drafts, pre-releases and releases without both assets are skipped). */
export function usableReleases(feed: unknown): Release[] {
  if (!Array.isArray(feed)) throw new Error("the release feed did not answer with a JSON array of releases");
  const out: Release[] = [];
  for (const r of feed as FeedRelease[]) {
    if (r.draft === true || r.prerelease === true || typeof r.tag_name !== "string" || !isVersion(r.tag_name)) continue;
    const version = r.tag_name.trim().replace(/^v/i, "");
    const asset = (name: string) => r.assets?.find((a) => a.name === name)?.browser_download_url;
    const packageUrl = asset(packageName(version));
    const checksumUrl = asset(`${packageName(version)}.sha256`);
    if (typeof packageUrl !== "string" || typeof checksumUrl !== "string") continue;
    out.push({ version, packageUrl, checksumUrl, pageUrl: typeof r.html_url === "string" ? r.html_url : undefined });
  }
  return out.sort((a, b) => compareVersions(b.version, a.version));
}

export type UpdateDecision =
  | { kind: "upToDate"; running: string }
  | { kind: "newer"; running: string; release: Release; previous?: Release };

export function decideUpdate(feed: unknown, running: string): UpdateDecision {
  const releases = usableReleases(feed);
  const newest = releases[0];
  if (!newest || compareVersions(newest.version, running) <= 0) return { kind: "upToDate", running };
  return { kind: "newer", running, release: newest, previous: releases.find((r) => compareVersions(r.version, running) === 0) };
}

/** The SHA-256 in a `.sha256` file: the first 64 hex characters (sha256sum's "hash  name" format or the bare hash). */
export function parseChecksum(text: string): string | undefined {
  return /^\s*([0-9a-fA-F]{64})\b/.exec(text)?.[1]?.toLowerCase();
}
