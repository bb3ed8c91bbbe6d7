// The operator role on AutoStop's action group only: writing a metric alert that notifies an action group needs read
// access to that group, which lives beside the app rather than in a target scope.
param roleDefinitionId string
param principalId string
param actionGroupName string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' existing = {
  name: actionGroupName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(actionGroup.id, principalId, roleDefinitionId)
  scope: actionGroup
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
