// AutoStop's action group: every AutoStop metric alert notifies it, and its one webhook calls AutoStopVM with the
// common alert schema. The URL carries a function key of its own, so it can be rotated apart from the Logic Apps' key.
param location string = 'Global'
param tags object = {}
param functionBaseUrl string
@secure()
param webhookFunctionKey string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'StartStopVMs_AutoStop'
  location: location
  tags: tags
  properties: {
    groupShortName: 'StStAutoStp'
    enabled: true
    webhookReceivers: [
      {
        name: 'AutoStopVM'
        serviceUri: '${functionBaseUrl}/api/AutoStopVM?code=${webhookFunctionKey}'
        useCommonAlertSchema: true
      }
    ]
  }
}

output id string = actionGroup.id
output name string = actionGroup.name
