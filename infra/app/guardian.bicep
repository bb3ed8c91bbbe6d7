// The guardian (src/guardian/): a small function app of its own, deployed only by `azd deploy` (service "guardian"),
// never by self-update, so a release of the main app that cannot start is still rolled back. Flex Consumption (one app
// per plan), its own identity and host storage; it reads the main app's heartbeat and self-update tables and may deploy
// to the main app only (rbac/guardian-access.bicep, rbac/self-update-access.bicep). No keys.
param planName string
param appName string
param location string
param tags object = {}
param identityId string
param identityClientId string
@description('Blob endpoint of the guardian\'s own storage (guardian-storage.bicep).')
param storageBlobEndpoint string
param deploymentContainerName string
@description('Table endpoint of the main app\'s storage: its heartbeat and self-update tables.')
param appStorageTableEndpoint string
@description('Resource id of the main function app, the one site the guardian may deploy to.')
param appResourceId string
@description('The main app\'s heartbeat period in seconds (its HEARTBEAT_SCHEDULE, every 5 minutes by default).')
param heartbeatPeriodSeconds int = 300
@description('How often the guardian looks (NCRONTAB): by default once per heartbeat period.')
param schedule string = '0 */1 * * * *'
param appInsightsConnectionString string

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
  tags: union(tags, { 'azd-service-name': 'guardian' })
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
        // Its own host storage, with its own identity
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AzureWebJobsStorage__blobServiceUri', value: storageBlobEndpoint }
        // The same identity for ARM (one-deploy on the main app) and the main app's two tables
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'APP_STORAGE__tableServiceUri', value: appStorageTableEndpoint }
        { name: 'APP_RESOURCE_ID', value: appResourceId }
        { name: 'HEARTBEAT_PERIOD_SECONDS', value: string(heartbeatPeriodSeconds) }
        { name: 'GUARDIAN_SCHEDULE', value: schedule }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
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
        maximumInstanceCount: 40
        instanceMemoryMB: 512
      }
      runtime: { name: 'node', version: '22' }
    }
  }
}

output name string = site.name
output id string = site.id
