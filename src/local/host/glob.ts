import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

function segmentPattern(segment: string): RegExp {
  const escaped = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${escaped}$`);
}

/**
 * Expands a simple glob relative to `baseDir`: `*` and `?` inside path segments (no `**`).
 * A pattern without wildcards names one file. Returns absolute paths, sorted.
 */
export function expandGlob(baseDir: string, pattern: string): string[] {
  const segments = pattern.replace(/\\/g, "/").replace(/^\.\//, "").split("/").filter((s) => s !== "" && s !== ".");
  let current = [resolve(baseDir)];
  for (const [index, segment] of segments.entries()) {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?]/.test(segment)) {
        const path = join(dir, segment);
        if (exists(path, last)) next.push(path);
        continue;
      }
      const regex = segmentPattern(segment);
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        const path = join(dir, name);
        if (regex.test(name) && exists(path, last)) next.push(path);
      }
    }
    current = next;
  }
  return current.sort();
}

function exists(path: string, wantFile: boolean): boolean {
  try {
    const stat = statSync(path);
    return wantFile ? stat.isFile() : stat.isDirectory();
  } catch {
    return false;
  }
}
