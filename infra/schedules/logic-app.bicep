// One v2-named Logic App: on its recurrence it posts a request to the app, then polls until the request is final.
// It proves itself with its managed identity's Entra token (the app's token door, /api/identity/...): no key anywhere.
param name string
param location string
param tags object = {}
param description string
@description('Disabled by default, as in v2: enable it once the scopes are right. main.bicep passes the state found in Azure on a re-provision.')
@allowed([ 'Disabled', 'Enabled' ])
param state string = 'Disabled'
@description('The trigger\'s recurrence as found in Azure (kept on a re-provision); empty = the one built from the parameters below.')
param recurrence object = {}
@description('Windows time zone ID, e.g. "W. Europe Standard Time"; the recurrence follows its daylight saving.')
param timeZone string
@description('First possible run, local time without offset (e.g. 2026-01-01T00:00:00). A recurrence with a startTime waits for its next slot when enabled instead of firing at once.')
param startTime string
param weekDays array
param hour int
param minute int = 0
param functionBaseUrl string
@description('Route and method of the app function the workflow posts to.')
param route string = 'Scheduled'
@description('Route that reports the accepted work\'s state, followed by its id (requests/{requestId}, autostop/runs/{runId}).')
param statusRoute string = 'requests'
@description('Field of the 202 answer holding that id.')
param idField string = 'requestId'
param requestBody object
@description('Resource id of the user-assigned identity the workflow calls the app with (listed in OPERATOR_CALLER_OBJECT_IDS).')
param callerIdentityId string
@description('Audience of that token: the app\'s Entra application (CALLER_TOKEN_AUDIENCE).')
param callerAudience string
@description('Longest a run waits for the request to reach a final state.')
param pollTimeout string = 'PT3H'

// https://learn.microsoft.com/azure/logic-apps/authenticate-with-managed-identity
var callerAuthentication = { type: 'ManagedServiceIdentity', identity: callerIdentityId, audience: callerAudience }

resource workflow 'Microsoft.Logic/workflows@2019-05-01' = {
  name: name
  location: location
  tags: union(tags, { description: description })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${callerIdentityId}': {} }
  }
  properties: {
    state: state
    definition: {
      '$schema': 'https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#'
      contentVersion: '1.0.0.0'
      triggers: {
        Recurrence: {
          type: 'Recurrence'
          recurrence: !empty(recurrence) ? recurrence : {
            frequency: 'Week'
            interval: 1
            startTime: startTime
            timeZone: timeZone
            schedule: { weekDays: weekDays, hours: [ hour ], minutes: [ minute ] }
          }
        }
      }
      actions: {
        Post_request: {
          type: 'Http'
          inputs: {
            method: 'POST'
            uri: '${functionBaseUrl}/api/identity/${route}'
            headers: { 'Content-Type': 'application/json' }
            body: requestBody
            authentication: callerAuthentication
            retryPolicy: { type: 'exponential', count: 4, interval: 'PT30S' }
          }
        }
        Initialize_state: {
          type: 'InitializeVariable'
          runAfter: { Post_request: [ 'Succeeded' ] }
          inputs: { variables: [ { name: 'state', type: 'string', value: 'Accepted' }, { name: 'message', type: 'string', value: '' } ] }
        }
        Until_final: {
          type: 'Until'
          runAfter: { Initialize_state: [ 'Succeeded' ] }
          expression: '@or(equals(variables(\'state\'), \'Succeeded\'), equals(variables(\'state\'), \'PartiallySucceeded\'), equals(variables(\'state\'), \'Failed\'))'
          limit: { count: 500, timeout: pollTimeout }
          actions: {
            Wait: { type: 'Wait', inputs: { interval: { count: 30, unit: 'Second' } } }
            Get_status: {
              type: 'Http'
              runAfter: { Wait: [ 'Succeeded' ] }
              inputs: {
                method: 'GET'
                uri: '${functionBaseUrl}/api/identity/${statusRoute}/@{body(\'Post_request\')?[\'${idField}\']}?top=1'
                authentication: callerAuthentication
                retryPolicy: { type: 'exponential', count: 4, interval: 'PT15S' }
              }
            }
            Set_state: {
              type: 'SetVariable'
              runAfter: { Get_status: [ 'Succeeded' ] }
              inputs: { name: 'state', value: '@{body(\'Get_status\')?[\'state\']}' }
            }
            Set_message: {
              type: 'SetVariable'
              runAfter: { Set_state: [ 'Succeeded' ] }
              inputs: { name: 'message', value: '@{body(\'Get_status\')?[\'message\']}' }
            }
          }
        }
        Fail_unless_succeeded: {
          type: 'If'
          runAfter: { Until_final: [ 'Succeeded', 'Failed', 'TimedOut' ] }
          expression: { not: { equals: [ '@variables(\'state\')', 'Succeeded' ] } }
          actions: {
            Terminate_failed: {
              type: 'Terminate'
              inputs: {
                runStatus: 'Failed'
                runError: { code: '@{variables(\'state\')}', message: '@{variables(\'message\')}' }
              }
            }
          }
          else: { actions: {} }
        }
      }
      outputs: {}
    }
  }
}

output name string = workflow.name
