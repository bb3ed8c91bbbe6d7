/**
 * Deploying a package to this function app through ARM: Flex Consumption takes code only through "one deploy", and
 * `PUT {app}/extensions/onedeploy` with a `packageUri` the platform downloads is its ARM form (no publishing
 * credentials, no Kudu endpoint). Sent with the official generic-resources client, retries off as everywhere.
 */
import { ResourceManagementClient } from "@azure/arm-resources";
import type { AppDeployer } from "../autoUpdate/updateDeps";
import { armCall, armClientOptions, type ArmClientSettings } from "./armClient";

export const ONE_DEPLOY_API_VERSION = "2024-04-01";

export class ArmOneDeploy implements AppDeployer {
  private readonly client: ResourceManagementClient;

  constructor(private readonly settings: ArmClientSettings, private readonly appResourceId: string) {
    const subscriptionId = /^\/subscriptions\/([^/]+)\//i.exec(appResourceId)?.[1] ?? "";
    this.client = new ResourceManagementClient(settings.credential, subscriptionId, armClientOptions(settings));
  }

  async deploy(packageUrl: string): Promise<void> {
    await armCall(
      () => this.client.resources.beginCreateOrUpdateByIdAndWait(`${this.appResourceId}/extensions/onedeploy`, ONE_DEPLOY_API_VERSION, {
        properties: { packageUri: packageUrl, type: "zip", remoteBuild: false, cleanDeployment: true },
      }, { updateIntervalInMs: 2000 }),
      this.settings.clock,
    );
  }
}
