// The function app: Flex Consumption (FC1), Node 22 on Linux, identity-based storage and telemetry, no keys in settings.
param planName string
param appName string
param location string
param tags object = {}
param identityId string
param identityClientId string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param appInsightsConnectionString string
@description('Comma-separated target scopes (subscription and resource-group IDs) the app may act on.')
param targetScopes string
@description('Audience machine callers request Entra tokens for (the app\'s application ID URI or client ID): CALLER_TOKEN_AUDIENCE.')
param callerAudience string
@description('Object IDs allowed as operators on the token routes (the Logic Apps\' identity), comma-separated.')
param operatorCallerObjectIds string
@description('Object ID of Azure Monitor\'s secure-webhook service principal in this tenant (may call AutoStopVM); empty = none.')
param autoStopCallerObjectIds string = ''
@description('Resource id of the action group AutoStop\'s alerts notify (deployed beside the app).')
param autoStopActionGroupId string
@description('Self-update: notify, apply or off (AUTO_UPDATE_MODE).')
param autoUpdateMode string = 'notify'
param releaseFeedUrl string = ''
@description('Self-update: the Ed25519 public key (base64) release packages must be signed with (AUTO_UPDATE_SIGNING_KEY); needed for apply.')
param releaseSignatureVerifier string = ''
@description('Teams/Slack incoming-webhook URL for failure notices; empty = none. A secret.')
@secure()
param notifyWebhookUrl string = ''
@description('The Logic Apps\' recurrences as JSON, listed by the dashboard\'s next transitions (LOGIC_APP_SCHEDULES).')
param logicAppSchedules string = '[]'
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Identity-based host storage (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity)
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storageBlobEndpoint }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: storageQueueEndpoint }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: storageTableEndpoint }
        // ARM calls use the same user-assigned identity (src/functions/shared/runtime.ts)
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'TARGET_SCOPES', value: targetScopes }
        // AutoStop: the action group its alerts notify, and the tag value marking the alerts this deployment manages
        { name: 'AUTOSTOP_ACTION_GROUP_ID', value: autoStopActionGroupId }
        { name: 'AUTOSTOP_MANAGED_BY', value: appName }
        // Machine callers prove themselves with Entra ID tokens (src/trust/); no key is written anywhere
        { name: 'AZURE_TENANT_ID', value: tenant().tenantId }
        { name: 'CALLER_TOKEN_AUDIENCE', value: callerAudience }
        { name: 'OPERATOR_CALLER_OBJECT_IDS', value: operatorCallerObjectIds }
        { name: 'AUTOSTOP_CALLER_OBJECT_IDS', value: autoStopCallerObjectIds }
        // Operations: status URLs in notices and events, self-update, and the optional failure-notice webhook
        { name: 'APP_BASE_URL', value: 'https://${appName}.azurewebsites.net' }
        { name: 'APP_RESOURCE_ID', value: resourceId('Microsoft.Web/sites', appName) }
        { name: 'AUTO_UPDATE_MODE', value: autoUpdateMode }
        { name: 'RELEASE_FEED_URL', value: releaseFeedUrl }
        // Self-update verifies a package's signature against this pinned key and stages it in the deployment container
        { name: 'AUTO_UPDATE_SIGNING_KEY', value: releaseSignatureVerifier }
        { name: 'DEPLOYMENT_STORAGE_CONTAINER_URL', value: '${storageBlobEndpoint}${deploymentContainerName}' }
        { name: 'NOTIFY_WEBHOOK_URL', value: notifyWebhookUrl }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        // The dashboard's next transitions (src/dashboard/transitions.ts)
        { name: 'LOGIC_APP_SCHEDULES', value: logicAppSchedules }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Node 20 reached end of life on 2026-04-30; Flex Consumption runs 22 (docs/deploy.md, "Runtime").
      runtime: { name: 'node', version: '22' }
    }
  }
}

// No keys are created here: machine callers use Entra tokens, and people with curl use a function's own key
// (Microsoft.Web/sites/functions/keys, e.g. Scheduled's "default"), created by the host once the code is deployed.

output name string = site.name
output id string = site.id
output baseUrl string = 'https://${site.properties.defaultHostName}'
