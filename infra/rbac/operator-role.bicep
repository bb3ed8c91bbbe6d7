// The custom "Start/Stop VMs operator" role: exactly the ARM actions the app's calls need, nothing more.
targetScope = 'subscription'

param roleName string
@description('Scopes the role may be assigned at (the target subscriptions and resource groups).')
param assignableScopes array

// One list per capability; test/infra/least-privilege.test.ts proves each action is needed and sufficient.
// Scheduling (Scheduled / Sequenced): list and read VMs with their power state, start, deallocate (hibernate is a
// deallocate with hibernate=true), and power off for StopMode powerOff.
var schedulingActions = [
  'Microsoft.Compute/virtualMachines/read'
  'Microsoft.Compute/virtualMachines/instanceView/read'
  'Microsoft.Compute/virtualMachines/start/action'
  'Microsoft.Compute/virtualMachines/deallocate/action'
  'Microsoft.Compute/virtualMachines/powerOff/action'
]
// Platform events: the eviction watcher reads a VM's Activity Log (Resource Health records are in it) to tell a Spot
// eviction from a person's stop.
var platformEventActions = [
  'Microsoft.Insights/eventtypes/values/read'
]
// AutoStop: keep one metric alert per VM (read, write, delete) that notifies the AutoStop action group, which ARM
// checks the writer can read (the role is also assigned on that action group, see action-group-access.bicep).
var autoStopActions = [
  'Microsoft.Insights/metricAlerts/read'
  'Microsoft.Insights/metricAlerts/write'
  'Microsoft.Insights/metricAlerts/delete'
  'Microsoft.Insights/actionGroups/read'
  // AutoStopVM confirms an alert really fired (Alerts_GetById) before it stops anything
  'Microsoft.AlertsManagement/alerts/read'
]
// Tag schedules: the ScheduleEvaluator reads resource groups' tags (a group's startstop-schedule tag applies to its VMs).
var scheduleTagActions = [
  'Microsoft.Resources/subscriptions/resourceGroups/read'
]

resource role 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'Start/Stop VMs (next): read virtual machines and their power state, start, deallocate (or hibernate) and power them off; keep their AutoStop metric alerts.'
    type: 'CustomRole'
    permissions: [
      {
        actions: concat(schedulingActions, platformEventActions, autoStopActions, scheduleTagActions)
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

output id string = role.id
