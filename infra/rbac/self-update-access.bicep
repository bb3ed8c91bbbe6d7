// Assigns self-update's role on the function app itself: to the app identity, and to the guardian's (it rolls back).
param roleDefinitionId string
param principalId string
param appName string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(site.id, principalId, roleDefinitionId)
  scope: site
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
