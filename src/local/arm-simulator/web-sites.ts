/**
 * Microsoft.Web in the simulator, as far as self-update needs it: function apps the world deploys, and their "one
 * deploy" extension (`PUT|GET …/sites/{app}/extensions/onedeploy`), which records each package a caller deployed.
 */
import type { SimResponse } from "./http-util";
import { armErrorBody } from "./errors";
import type { WebRoute } from "./route-table";

export interface WebDeployment {
  time: string;
  siteId: string;
  packageUri: string;
  principal: string;
  /** Filled in by the world's platform model (src/local/deployedPackages.ts): the bytes it fetched, their version. */
  sha256?: string;
  version?: string;
  error?: string;
}

export class WebSites {
  private readonly sites = new Map<string, string>();
  readonly deployments: WebDeployment[] = [];
  /** Told of every accepted deployment (the world's platform model runs the package). */
  onDeploy?: (deployment: WebDeployment) => void;

  clear(): void {
    this.sites.clear();
    this.deployments.length = 0;
  }

  add(siteId: string): void {
    this.sites.set(siteId.toLowerCase(), siteId);
  }

  serve(route: WebRoute, rawBody: string, now: number, principal: string, headers: Record<string, string>): SimResponse {
    const siteId = `/subscriptions/${route.sub}/resourceGroups/${route.rg}/providers/Microsoft.Web/sites/${route.site}`;
    if (!this.sites.has(siteId.toLowerCase())) {
      return { status: 404, headers, body: armErrorBody("ResourceNotFound", `The Resource 'Microsoft.Web/sites/${route.site}' under resource group '${route.rg}' was not found.`) };
    }
    const last = [...this.deployments].reverse().find((d) => d.siteId.toLowerCase() === siteId.toLowerCase());
    if (route.op === "oneDeployGet") {
      return last ? { status: 200, headers, body: extensionJson(siteId, last) } : { status: 404, headers, body: armErrorBody("NotFound", "No deployment yet.") };
    }
    let packageUri: unknown;
    try {
      packageUri = (JSON.parse(rawBody || "{}") as { properties?: { packageUri?: unknown } }).properties?.packageUri;
    } catch {
      return { status: 400, headers, body: armErrorBody("InvalidRequestContent", "The request content was invalid and could not be deserialized.") };
    }
    if (typeof packageUri !== "string" || !/^https?:\/\//.test(packageUri)) {
      return { status: 400, headers, body: armErrorBody("BadRequest", "properties.packageUri must be the URL of the package to deploy.") };
    }
    const deployment: WebDeployment = { time: new Date(now).toISOString(), siteId, packageUri, principal };
    this.deployments.push(deployment);
    this.onDeploy?.(deployment);
    return { status: 200, headers, body: extensionJson(siteId, deployment) };
  }
}

function extensionJson(siteId: string, d: WebDeployment): unknown {
  return {
    id: `${siteId}/extensions/onedeploy`, name: "onedeploy", type: "Microsoft.Web/sites/extensions",
    properties: { provisioningState: "Succeeded", status: 4, complete: true, packageUri: d.packageUri, deployer: "OneDeploy", end_time: d.time },
  };
}
