/**
 * Every resource type@apiVersion the Bicep may use, with the Azure REST API spec file (github.com/Azure/azure-rest-api-specs)
 * that defines it. A new resource or version goes here only after its spec file has been checked.
 */
const SPECS = "specification";
export const SPEC_FILES: Record<string, string> = {
  "Microsoft.Resources/resourceGroups@2024-03-01": `${SPECS}/resources/resource-manager/Microsoft.Resources/stable/2024-03-01/resources.json`,
  "Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31": `${SPECS}/msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31/ManagedIdentity.json`,
  "Microsoft.Storage/storageAccounts@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/storage.json`,
  "Microsoft.Storage/storageAccounts/blobServices@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/blob.json`,
  "Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/blob.json`,
  // The queue operations of 2023-05-01 are shown by the spec's own examples (QueueServicesPut, QueueOperationPut).
  "Microsoft.Storage/storageAccounts/queueServices@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/Storage.Management/examples/2023-05-01/QueueServicesPut.json`,
  "Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/Storage.Management/examples/2023-05-01/QueueOperationPut.json`,
  "Microsoft.Storage/storageAccounts/tableServices@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/table.json`,
  "Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01": `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01/table.json`,
  "Microsoft.Authorization/roleAssignments@2022-04-01": `${SPECS}/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json`,
  "Microsoft.Authorization/roleDefinitions@2022-04-01": `${SPECS}/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json`,
  "Microsoft.OperationalInsights/workspaces@2023-09-01": `${SPECS}/operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2023-09-01/Workspaces.json`,
  "Microsoft.Insights/components@2020-02-02": `${SPECS}/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/components_API.json`,
  "Microsoft.Insights/actionGroups@2023-01-01": `${SPECS}/monitor/resource-manager/Microsoft.Insights/stable/2023-01-01/actionGroups_API.json`,
  "Microsoft.Insights/scheduledQueryRules@2023-12-01": `${SPECS}/monitor/resource-manager/Microsoft.Insights/stable/2023-12-01/scheduledQueryRule_API.json`,
  "Microsoft.Web/serverfarms@2024-04-01": `${SPECS}/web/resource-manager/Microsoft.Web/stable/2024-04-01/AppServicePlans.json`,
  "Microsoft.Web/sites@2024-04-01": `${SPECS}/web/resource-manager/Microsoft.Web/stable/2024-04-01/WebApps.json`,
  // sites/config named authsettingsV2 (SiteAuthSettingsV2): the dashboard's App Service authentication.
  "Microsoft.Web/sites/config@2024-04-01": `${SPECS}/web/resource-manager/Microsoft.Web/stable/2024-04-01/WebApps.json`,
  "Microsoft.Insights/workbooks@2023-06-01": `${SPECS}/applicationinsights/resource-manager/Microsoft.Insights/stable/2023-06-01/workbooks_API.json`,
  "Microsoft.Logic/workflows@2019-05-01": `${SPECS}/logic/resource-manager/Microsoft.Logic/stable/2019-05-01/logic.json`,
};
