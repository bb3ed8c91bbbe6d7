// Start/Stop VMs (next) for `azd up`: one resource group with the app, its storage, telemetry, role and Logic Apps.
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the app and its resources: one that offers Flex Consumption (docs/deploy.md, "Regions"). azd lists them when it asks.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({ azd: { type: 'location' } })
param location string

@description('Comma-separated subscription IDs (/subscriptions/<id>) and resource-group IDs (/subscriptions/<id>/resourceGroups/<name>) the app may start and stop VMs in; other subscriptions of the same tenant are fine.')
@minLength(1)
param targetScopes string

@description('Comma-separated e-mail addresses for alerts; empty = no alerts.')
param alertEmails string = ''

@description('Windows time zone ID of the schedules, e.g. "W. Europe Standard Time".')
param timeZone string = 'UTC'

@description('Local time (no offset) before which no schedule fires; enabling a Logic App then waits for its next slot instead of firing at once.')
param scheduleStartTime string = '2026-01-01T00:00:00'

@description('Application ID URI of the app\'s Entra application registration (audience of the callers\' tokens). Empty: the app\'s own identity\'s client ID (enough for the Logic Apps; AutoStop\'s secure webhook needs the registration). docs/security.md')
param callerAudience string = ''

@description('Object ID of that application registration (the secure webhook\'s objectId). Empty: AutoStop\'s action group has no receiver yet.')
param appRegistrationObjectId string = ''

@description('Object ID of the "AzNS AAD Webhook" service principal in this tenant (Azure Monitor\'s secure webhook), allowed to call AutoStopVM.')
param secureWebhookPrincipalId string = ''

@description('State of a schedule Logic App this provision creates: Disabled (default, as in v2) or Enabled. Logic Apps that exist keep the state found (schedulesFound).')
@allowed([ 'Disabled', 'Enabled' ])
param newScheduleState string = 'Disabled'

@description('The schedule Logic Apps as found before this provision, base64 JSON {name: {state, recurrence}}, written by the preprovision hook (scripts/preprovision.mjs): what users enabled, disabled or re-timed is deployed unchanged.')
param schedulesFound string = ''

@description('What to do with a newer release: notify (default: the heartbeat and an AutoUpdate event say so), apply (deploy it, verified, rolled back if its heartbeat fails) or off.')
@allowed([ 'notify', 'apply', 'off' ])
param autoUpdateMode string = 'notify'

@description('The release feed (GitHub releases API shape). Empty: no self-update check at all.')
param releaseFeedUrl string = ''
@description('Self-update: the Ed25519 public key (base64) release packages are signed with; needed for autoUpdateMode apply.')
param releaseSignatureVerifier string = ''

@description('Optional Teams or Slack incoming-webhook URL that gets one message per request ending Failed or PartiallySucceeded.')
@secure()
param notifyWebhookUrl string = ''

@description('Client ID of the Entra app registration people sign in to the dashboard with (App Service authentication). Empty: the dashboard is off in Azure. docs/dashboard.md')
param dashboardAuthClientId string = ''

param resourceGroupName string = ''

var tags = { 'azd-env-name': environmentName, SolutionName: 'StartStopVMsNext' }
var token = toLower(uniqueString(subscription().id, environmentName, location))
var deploymentContainerName = 'app-package-${take(token, 7)}'
var guardianContainerName = 'guardian-package-${take(token, 7)}'
// Role names are unique per tenant: the token keeps two environments of one name in two subscriptions apart.
var roleToken = take(toLower(uniqueString(subscription().id, environmentName)), 6)
var roleName = 'Start/Stop VMs operator (${environmentName}, ${roleToken})'

// "/subscriptions/x/" and "/subscriptions/x" are the same scope: normalise, then split by kind.
var scopes = map(filter(split(targetScopes, ','), s => !empty(trim(s))), s => '/${join(filter(split(trim(s), '/'), p => !empty(p)), '/')}')
var subscriptionScopes = filter(scopes, s => length(split(s, '/')) == 3)
var resourceGroupScopes = filter(scopes, s => length(split(s, '/')) == 5)
// The v2 request scopes every Logic App posts (v2 writes ids with a trailing slash).
var requestScopes = {
  Subscriptions: map(subscriptionScopes, s => '${s}/')
  ResourceGroups: map(resourceGroupScopes, s => '${s}/')
}
var schedules = loadJsonContent('schedules/schedules.json')
var found = json(empty(schedulesFound) ? '{}' : base64ToString(schedulesFound))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: { name: 'id-${token}', location: location, tags: tags }
}

// The Logic Apps' own identity: its token opens the operator routes (/api/identity/...), and nothing else holds a key.
module logicAppsIdentity 'core/identity.bicep' = {
  name: 'identity-logic-apps'
  scope: rg
  params: { name: 'id-logic-${token}', location: location, tags: tags }
}

// The guardian's own identity (src/guardian/, app/guardian.bicep): it may read heartbeats, change self-update attempts
// and deploy to the app, nothing else; the app's identity can do nothing to the guardian.
module guardianIdentity 'core/identity.bicep' = {
  name: 'identity-guardian'
  scope: rg
  params: { name: 'id-guardian-${token}', location: location, tags: tags }
}

var audience = !empty(callerAudience) ? callerAudience : identity.outputs.clientId

module storage 'core/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${token}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    identityPrincipalId: identity.outputs.principalId
  }
}

module telemetry 'monitoring/telemetry.bicep' = {
  name: 'telemetry'
  scope: rg
  params: {
    logAnalyticsName: 'log-${token}'
    appInsightsName: 'appi-${token}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
    guardianPrincipalId: guardianIdentity.outputs.principalId
  }
}

module app 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: 'plan-${token}'
    appName: 'func-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: telemetry.outputs.connectionString
    targetScopes: join(scopes, ',')
    callerAudience: audience
    operatorCallerObjectIds: logicAppsIdentity.outputs.principalId
    autoStopCallerObjectIds: secureWebhookPrincipalId
    autoStopActionGroupId: autoStopActionGroupId
    autoUpdateMode: autoUpdateMode
    releaseFeedUrl: releaseFeedUrl
    releaseSignatureVerifier: releaseSignatureVerifier
    notifyWebhookUrl: notifyWebhookUrl
    logicAppSchedules: string(map(schedules, s => { name: s.name, action: s.body.Action, weekDays: s.weekDays, hour: s.hour, minute: 0, timeZone: timeZone, enabled: false }))
  }
}

// The action group's id is known before it exists, which breaks the cycle app ↔ action group (each needs the other).
var autoStopActionGroupId = '${rg.id}/providers/Microsoft.Insights/actionGroups/StartStopVMs_AutoStop'

module autoStopActionGroup 'monitoring/autostop-action-group.bicep' = {
  name: 'autostop-action-group'
  scope: rg
  params: { tags: tags, functionBaseUrl: app.outputs.baseUrl, appRegistrationObjectId: appRegistrationObjectId, appIdentifierUri: audience }
}

module operatorRole 'rbac/operator-role.bicep' = {
  name: 'operator-role'
  params: { roleName: roleName, assignableScopes: union([ subscription().id, rg.id ], scopes) }
}

module selfUpdateRole 'rbac/self-update-role.bicep' = if (autoUpdateMode == 'apply') {
  name: 'self-update-role'
  params: { roleName: 'Start/Stop VMs self-update (${environmentName}, ${roleToken})', assignableScope: rg.id }
}

module selfUpdateAccess 'rbac/self-update-access.bicep' = if (autoUpdateMode == 'apply') {
  name: 'access-self-update'
  scope: rg
  params: { roleDefinitionId: selfUpdateRole.outputs.id, principalId: identity.outputs.principalId, appName: app.outputs.name }
}

module guardianStorage 'core/guardian-storage.bicep' = {
  name: 'guardian-storage'
  scope: rg
  params: {
    name: 'stg${token}'
    location: location
    tags: tags
    deploymentContainerName: guardianContainerName
    identityPrincipalId: guardianIdentity.outputs.principalId
  }
}

module guardian 'app/guardian.bicep' = {
  name: 'guardian'
  scope: rg
  params: {
    planName: 'plan-guardian-${token}'
    appName: 'func-guardian-${token}'
    location: location
    tags: tags
    identityId: guardianIdentity.outputs.id
    identityClientId: guardianIdentity.outputs.clientId
    storageBlobEndpoint: guardianStorage.outputs.blobEndpoint
    deploymentContainerName: guardianContainerName
    appStorageTableEndpoint: storage.outputs.tableEndpoint
    appResourceId: app.outputs.id
    appInsightsConnectionString: telemetry.outputs.connectionString
  }
}

module guardianAccess 'rbac/guardian-access.bicep' = {
  name: 'access-guardian-tables'
  scope: rg
  params: { storageName: storage.outputs.name, principalId: guardianIdentity.outputs.principalId }
}

// The guardian deploys to the app with self-update's role, on the app only: only where self-update can deploy at all.
module guardianDeployAccess 'rbac/self-update-access.bicep' = if (autoUpdateMode == 'apply') {
  name: 'access-guardian-deploy'
  scope: rg
  params: { roleDefinitionId: selfUpdateRole.outputs.id, principalId: guardianIdentity.outputs.principalId, appName: app.outputs.name }
}

module actionGroupAccess 'rbac/action-group-access.bicep' = {
  name: 'access-autostop-action-group'
  scope: rg
  params: { roleDefinitionId: operatorRole.outputs.id, principalId: identity.outputs.principalId, actionGroupName: autoStopActionGroup.outputs.name }
}

module subscriptionAccess 'rbac/target-subscription-access.bicep' = [for s in subscriptionScopes: {
  name: 'access-${uniqueString(s)}'
  scope: subscription(split(s, '/')[2])
  params: { roleDefinitionId: operatorRole.outputs.id, principalId: identity.outputs.principalId }
}]

module resourceGroupAccess 'rbac/target-resource-group-access.bicep' = [for s in resourceGroupScopes: {
  name: 'access-${uniqueString(s)}'
  scope: resourceGroup(split(s, '/')[2], split(s, '/')[4])
  params: { roleDefinitionId: operatorRole.outputs.id, principalId: identity.outputs.principalId }
}]

module logicApps 'schedules/logic-app.bicep' = [for s in schedules: {
  name: s.name
  scope: rg
  params: {
    name: s.name
    location: location
    tags: tags
    description: s.description
    timeZone: timeZone
    startTime: scheduleStartTime
    weekDays: s.weekDays
    hour: s.hour
    functionBaseUrl: app.outputs.baseUrl
    route: s.route
    statusRoute: s.statusRoute
    idField: s.idField
    requestBody: union(s.body, { RequestScopes: requestScopes })
    callerIdentityId: logicAppsIdentity.outputs.id
    callerAudience: audience
    state: found[?s.name].?state ?? newScheduleState
    recurrence: found[?s.name].?recurrence ?? {}
  }
}]

module dashboardAuth 'app/dashboard-auth.bicep' = if (!empty(dashboardAuthClientId)) { name: 'dashboard-auth', scope: rg, params: { appName: app.outputs.name, clientId: dashboardAuthClientId } }

module workbook 'monitoring/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: { location: location, tags: tags, appInsightsId: telemetry.outputs.appInsightsId }
}

module alerts 'monitoring/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: { location: location, tags: tags, appInsightsId: telemetry.outputs.appInsightsId, alertEmails: alertEmails }
}

output AZURE_RESOURCE_GROUP string = rg.name
output FUNCTION_BASE_URL string = app.outputs.baseUrl
output FUNCTION_APP_NAME string = app.outputs.name
output IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output GUARDIAN_APP_NAME string = guardian.outputs.name
output GUARDIAN_PRINCIPAL_ID string = guardianIdentity.outputs.principalId
// Read by the preprovision hook, which removes this role's assignments on scopes taken out of TARGET_SCOPES.
output OPERATOR_ROLE_ID string = operatorRole.outputs.id
output AUTOSTOP_ACTION_GROUP_ID string = autoStopActionGroup.outputs.id
output LOGIC_APP_NAMES array = [for (s, i) in schedules: logicApps[i].outputs.name]
