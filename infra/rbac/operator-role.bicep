// The custom "Start/Stop VMs operator" role: exactly the ARM actions the app's calls need, nothing more.
targetScope = 'subscription'

param roleName string
@description('Scopes the role may be assigned at (the target subscriptions and resource groups).')
param assignableScopes array

// One list per capability; test/infra/least-privilege.test.ts proves each action is needed and sufficient.
// Scheduling (Scheduled / Sequenced): list and read VMs with their power state, start, deallocate.
var schedulingActions = [
  'Microsoft.Compute/virtualMachines/read'
  'Microsoft.Compute/virtualMachines/instanceView/read'
  'Microsoft.Compute/virtualMachines/start/action'
  'Microsoft.Compute/virtualMachines/deallocate/action'
]
// AutoStop and operations (heartbeat) add their lists here at merge.

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'Start/Stop VMs (next): read virtual machines and their power state, start and deallocate them.'
    type: 'CustomRole'
    permissions: [
      {
        actions: concat(schedulingActions)
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

output id string = role.id
