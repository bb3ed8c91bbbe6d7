// App Service authentication (Entra ID) in front of the dashboard (GET /api/dashboard): users sign in before a request
// reaches the app, which reads the X-MS-CLIENT-PRINCIPAL-* headers App Service adds (clients cannot set them). Anonymous
// requests still reach the app's other routes, which prove their callers themselves (function keys, Entra tokens), and
// the dashboard sends anyone not signed in to /.auth/login/aad. docs/dashboard.md
@description('Name of the function app.')
param appName string

@description('Client (application) ID of the Entra app registration people sign in to the dashboard with (ID tokens enabled, redirect URI https://<app>/.auth/login/aad/callback).')
param clientId string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: { allowedAudiences: [ clientId, 'api://${clientId}' ] }
      }
    }
    login: { tokenStore: { enabled: false } }
    httpSettings: { requireHttps: true }
  }
}
