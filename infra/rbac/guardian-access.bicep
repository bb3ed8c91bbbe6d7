// The guardian's data access on the main app's storage, per table (no account-wide role): it changes self-update
// attempts (the etag-checked RollingBack/RolledBack) and reads heartbeats. Nothing else of the main app's storage.
param storageName string
param principalId string

// Built-in data roles (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage)
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var storageTableDataReader = '76199698-9eea-4c19-bc75-cec21354c6b6'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource attempts 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  parent: tableService
  name: 'autoupdaterequestdetailsstoretable'
}

resource heartbeats 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  parent: tableService
  name: 'heartbeatstoretable'
}

resource attemptsWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(attempts.id, principalId, storageTableDataContributor)
  scope: attempts
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource heartbeatsReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(heartbeats.id, principalId, storageTableDataReader)
  scope: heartbeats
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataReader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
