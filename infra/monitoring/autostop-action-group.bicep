// AutoStop's action group: every AutoStop metric alert notifies it, and its one webhook calls AutoStopVM with the
// common alert schema as a *secure webhook*: Azure Monitor sends an Entra token for the app's application, so the URL
// holds no key and reading the action group (Reader) gives nothing that opens the app.
// https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
param location string = 'Global'
param tags object = {}
param functionBaseUrl string
@description('Object ID of the app\'s Entra application registration (the secure webhook\'s objectId); empty = no receiver yet.')
param appRegistrationObjectId string
@description('Its application ID URI, the token\'s audience (identifierUri); equals CALLER_TOKEN_AUDIENCE.')
param appIdentifierUri string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'StartStopVMs_AutoStop'
  location: location
  tags: tags
  properties: {
    groupShortName: 'StStAutoStp'
    enabled: true
    webhookReceivers: empty(appRegistrationObjectId) ? [] : [
      {
        name: 'AutoStopVM'
        serviceUri: '${functionBaseUrl}/api/AutoStopVM'
        useCommonAlertSchema: true
        useAadAuth: true
        objectId: appRegistrationObjectId
        identifierUri: appIdentifierUri
        tenantId: tenant().tenantId
      }
    ]
  }
}

output id string = actionGroup.id
output name string = actionGroup.name
