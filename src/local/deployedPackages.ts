/**
 * The local world's stand-in for Flex Consumption running what was deployed: when the simulator's one-deploy accepts
 * a package, the platform reads it (from the app's deployment container in Azurite, or from any http URL), records the
 * SHA-256 of the bytes it got on the deployment, and restarts the app's hosts on that package's version. The packages
 * of the local release feed are placeholders naming their version (src/local/release-feed.ts); the code that runs is
 * always this checkout's, started with LOCAL_RUNNING_VERSION set to the package's version. A package marked as one that
 * cannot start runs as what Flex Consumption does with such a release: the hosts start on an app whose entry point
 * throws while loading, so none of its functions (its heartbeat, its own update check) ever runs.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlobClient } from "@azure/storage-blob";
import type { WebDeployment, WebSites } from "./arm-simulator/web-sites";
import { CANNOT_START_MARK } from "./release-feed";

/** The deployment container's name in the local world (Bicep names Azure's). */
export const DEPLOYMENT_CONTAINER = "app-package-world";

/** What the platform needs of the world: the storage account and a way to restart the hosts. */
export interface PlatformWorld {
  azurite: { connectionString: string };
  /** Restarts the hosts with these settings changed, on `appDir` (a broken app) or, without it, on the repository's app. */
  restartHosts(changed: Record<string, string | undefined>, options?: { appDir?: string }): Promise<void>;
}

export function blobEndpointOf(connectionString: string): string {
  const endpoint = /BlobEndpoint=([^;]+)/i.exec(connectionString)?.[1];
  if (!endpoint) throw new Error("the world's storage has no blob endpoint (World.start({ deploymentStorage: true }))");
  return endpoint.replace(/\/+$/, "");
}

/** The version a local placeholder package names. */
export function packageVersion(bytes: Buffer): string | undefined {
  return /startstop-vms-next (\d+\.\d+\.\d+)/.exec(bytes.toString("utf8"))?.[1];
}

export function runDeployedPackages(world: PlatformWorld, sites: WebSites): void {
  let restarts = Promise.resolve();
  sites.onDeploy = (deployment) => {
    // After the one-deploy answered (the platform restarts the app once the package landed), one restart at a time.
    restarts = restarts.then(() => new Promise((r) => setTimeout(r, 200))).then(() => run(world, deployment)).catch((error: unknown) => {
      deployment.error = (error as Error).message;
    });
  };
}

async function run(world: PlatformWorld, deployment: WebDeployment): Promise<void> {
  const bytes = await download(world, deployment.packageUri);
  deployment.sha256 = createHash("sha256").update(bytes).digest("hex");
  const version = packageVersion(bytes);
  if (!version) throw new Error(`the package at ${deployment.packageUri} names no version`);
  deployment.version = version;
  const broken = bytes.toString("utf8").includes(CANNOT_START_MARK);
  await world.restartHosts({ LOCAL_RUNNING_VERSION: version }, broken ? { appDir: appThatCannotStart(version) } : {});
}

/** A function app folder whose entry point throws while it loads: the host starts, no function of the app ever runs. */
function appThatCannotStart(version: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `ssv-cannot-start-${version}-`));
  writeFileSync(path.join(dir, "host.json"), JSON.stringify({ version: "2.0" }));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "startstop-vms-next", version, main: "index.js" }));
  writeFileSync(path.join(dir, "index.js"), `throw new Error("startstop-vms-next ${version} cannot start: a module it needs is missing from the package");\n`);
  return dir;
}

async function download(world: PlatformWorld, uri: string): Promise<Buffer> {
  const blobEndpoint = /BlobEndpoint=([^;]+)/i.exec(world.azurite.connectionString)?.[1]?.replace(/\/+$/, "");
  if (blobEndpoint && uri.startsWith(`${blobEndpoint}/`)) {
    // The platform reads the deployment container with the app's deployment-storage identity: here, the account key.
    const [container, ...blob] = uri.slice(blobEndpoint.length + 1).split("/");
    return new BlobClient(world.azurite.connectionString, container!, decodeURIComponent(blob.join("/"))).downloadToBuffer();
  }
  const res = await fetch(uri);
  if (!res.ok) throw new Error(`downloading ${uri} answered HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}
