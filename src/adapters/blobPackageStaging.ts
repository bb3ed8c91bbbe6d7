/**
 * Staging a verified release package in the app's own deployment storage container (the Flex Consumption app's
 * `functionAppConfig.deployment.storage` container, DEPLOYMENT_STORAGE_CONTAINER_URL): the bytes the app verified are
 * uploaded there, and the deployment names that blob, so the platform deploys exactly them (no second download from the
 * feed). With a managed identity in Azure (Storage Blob Data Owner on the account), a connection string locally (Azurite).
 */
import { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import type { StorageConnection } from "../config";
import type { PackageStaging } from "../autoUpdate/updateDeps";
import { azureCredential } from "./credentials";

export class BlobPackageStaging implements PackageStaging {
  private readonly container: ContainerClient;
  private ready?: Promise<unknown>;

  constructor(containerUrl: string, storage: StorageConnection) {
    if (storage.kind === "identity") {
      this.container = new ContainerClient(containerUrl, azureCredential(storage.clientId));
    } else {
      const name = new URL(containerUrl).pathname.split("/").filter(Boolean).pop() ?? "";
      this.container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(name);
    }
  }

  async stage(name: string, bytes: Buffer): Promise<string> {
    this.ready ??= this.container.createIfNotExists().catch((error) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    const blob = this.container.getBlockBlobClient(name);
    await blob.uploadData(bytes, { blobHTTPHeaders: { blobContentType: "application/zip" } });
    return blob.url;
  }
}
