// An Azure Monitor workbook over the app's telemetry: runs by outcome, failed VMs by reason, throttled ARM calls, circuit
// breaker openings and savings (the queries are in workbook.json; the event names are src/telemetry/telemetry.ts's).
param location string
param tags object = {}
@description('Resource ID of the Application Insights component the app sends its telemetry to.')
param appInsightsId string
param displayName string = 'Start/Stop VMs'

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsightsId, 'startstop-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: string(loadJsonContent('workbook.json'))
    version: 'Notebook/1.0'
  }
}

output workbookId string = workbook.id
