/** The version running: package.json's, which the deploy package carries next to dist/. */
import { readFileSync } from "node:fs";
import path from "node:path";

let cached: string | undefined;

export function runningVersion(): string {
  if (cached) return cached;
  // The local world runs this checkout's code as whichever release package its platform model deployed
  // (src/local/deployedPackages.ts). Never set in Azure, where the package carries its own package.json.
  const local = process.env.LOCAL_RUNNING_VERSION?.trim();
  if (local) return (cached = local);
  for (const candidate of [path.join(__dirname, "../../../package.json"), path.join(__dirname, "../../package.json")]) {
    try {
      cached = String((JSON.parse(readFileSync(candidate, "utf8")) as { version?: string }).version ?? "0.0.0");
      return cached;
    } catch {
      // try the next layout (compiled under dist/, or run from sources)
    }
  }
  return "0.0.0";
}
