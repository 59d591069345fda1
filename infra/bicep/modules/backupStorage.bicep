// The storage account and container that hold the restic repositories. Shared-key access is off: the
// runner reaches it with workload identity (Storage Blob Data Contributor on the container only).

@description('Azure region.')
param location string

@description('Storage account name: 3 to 24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param accountName string

@description('Container of the restic repositories (the Repository\'s spec.backend.azure.container).')
param containerName string

@description('Principal id of the runner\'s managed identity.')
param runnerPrincipalId string

@description('Allow account keys (only for runners without workload identity).')
param allowSharedKeyAccess bool

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: accountName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    accessTier: 'Cool'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 14 }
    containerDeleteRetentionPolicy: { enabled: true, days: 14 }
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: containerName
  properties: { publicAccess: 'None' }
}

resource runnerOnContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, runnerPrincipalId, storageBlobDataContributor)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: runnerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output accountName string = account.name
output containerName string = container.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
