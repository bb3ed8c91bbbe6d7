// Email alerts: a request that ends Failed or PartiallySucceeded, and any message left in a poison queue.
param location string
param tags object = {}
param appInsightsId string
@description('Comma-separated e-mail addresses; empty = no action group, no alerts.')
param alertEmails string

var emails = filter(map(split(alertEmails, ','), e => trim(e)), e => !empty(e))

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(emails)) {
  name: 'StartStopVMs_Notification'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'StStVMs'
    enabled: true
    emailReceivers: [for (e, i) in emails: { name: 'email${i}', emailAddress: e, useCommonAlertSchema: true }]
  }
}

// Custom events emitted by the app (README, "Telemetry").
var rules = [
  {
    name: 'StartStopVMs_RequestNotSucceeded'
    description: 'A start/stop request ended Failed or PartiallySucceeded: open its statusUrl to see which VMs and why.'
    query: 'customEvents | where name == "RequestFinished" | extend state = tostring(customDimensions.state) | where state in ("Failed", "PartiallySucceeded") | project timestamp, requestId = tostring(customDimensions.requestId), action = tostring(customDimensions.action), state, topErrorCodes = tostring(customDimensions.topErrorCodes), statusUrl = tostring(customDimensions.statusUrl)'
    severity: 2
  }
  {
    name: 'StartStopVMs_PoisonQueue'
    description: 'A queue message failed five times and sits in a poison queue: work was not done.'
    query: 'customEvents | where name == "HeartBeatCheckFailed" and tostring(customDimensions.check) == "poisonQueues"'
    severity: 1
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [for r in rules: if (!empty(emails)) {
  name: r.name
  location: location
  tags: tags
  properties: {
    displayName: r.name
    description: r.description
    severity: r.severity
    enabled: true
    scopes: [ appInsightsId ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: r.query
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: { actionGroups: [ actionGroup.id ] }
  }
}]
