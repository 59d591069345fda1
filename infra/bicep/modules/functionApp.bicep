// The Functions app on Flex Consumption with runtime dotnet-isolated 10.0 (the .NET isolated worker that
// scripts/publish.sh packages; the platform provides .NET), its deployment storage (zip deploy target),
// identity-based host storage, and app settings whose secrets are Key Vault references.

@description('Azure region.')
param location string

@description('Name of the Functions app (globally unique: <name>.azurewebsites.net).')
param appName string

@description('Storage account of the app itself (deployment package, timer leases, keys).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Resource id of the app\'s user-assigned identity.')
param identityId string

@description('Principal id of that identity.')
param identityPrincipalId string

@description('Client id of that identity.')
param identityClientId string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Versionless Key Vault secret URI of the webhook master key.')
param webhookMasterKeyUri string

@description('AKS API server URL (https://<fqdn>:443).')
param aksApiServerUrl string

@description('The runner image.')
param runnerImage string

@description('Pushgateway URL as seen from the cluster, or empty.')
param pushgatewayUrl string

@description('IANA time zone of schedules without spec.timeZone.')
param timeZone string

@description('Maximum instances (Flex Consumption scale-out limit).')
@minValue(1)
param maximumInstanceCount int

var deploymentContainerName = 'app-package'
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

// The host keeps timer leases and keys in blobs, and the platform reads the package, as the app's identity.
resource appOwnsItsStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityPrincipalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: '${appName}-plan'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Host storage through the identity: no connection string, no account key.
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'BACKUP_CLUSTER', value: 'aks' }
        { name: 'BACKUP_AKS_API_SERVER', value: aksApiServerUrl }
        { name: 'BACKUP_AKS_CLIENT_ID', value: identityClientId }
        { name: 'BACKUP_RUNNER_IMAGE', value: runnerImage }
        { name: 'BACKUP_WEBHOOK_BASE_URL', value: 'https://${appName}.azurewebsites.net' }
        { name: 'BACKUP_WEBHOOK_MASTER_KEY', value: '@Microsoft.KeyVault(SecretUri=${webhookMasterKeyUri})' }
        { name: 'BACKUP_PUSHGATEWAY_URL', value: pushgatewayUrl }
        { name: 'BACKUP_TIME_ZONE', value: timeZone }
        // The timers' NCRONTAB schedules (second minute hour day month day-of-week). The functions name them as
        // %SETTING%, and the host puts a timer whose setting is missing in error, so each is set here to its
        // default (Serverless.Backup.Control.Endpoints.TimerSchedules); change one to slow a tick down.
        { name: 'BACKUP_SCHEDULE_TICK', value: '0 */1 * * * *' }
        { name: 'BACKUP_RECONCILE_SCHEDULE', value: '30 */1 * * * *' }
        { name: 'BACKUP_MAINTENANCE_SCHEDULE', value: '15 */5 * * * *' }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      // Flex Consumption takes the worker runtime from here; FUNCTIONS_WORKER_RUNTIME must not be an app setting.
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }
  dependsOn: [deploymentContainer, appOwnsItsStorage]
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
