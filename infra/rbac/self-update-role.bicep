// Self-update's role (only with autoUpdateMode 'apply'): deploy a package to the function app through one deploy, and
// nothing else. It is assigned on the app itself (self-update-access.bicep), never on a target scope.
targetScope = 'subscription'

param roleName string
param assignableScope string

var selfUpdateActions = [
  'Microsoft.Web/sites/extensions/write'
  'Microsoft.Web/sites/extensions/read'
]

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'Start/Stop VMs (next) self-update: deploy a verified release package to its own function app.'
    type: 'CustomRole'
    permissions: [
      {
        actions: selfUpdateActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [ assignableScope ]
  }
}

output id string = role.id
