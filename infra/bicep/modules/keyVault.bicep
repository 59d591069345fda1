// Key Vault for the two secrets: the webhook master key (the Functions app reads it through a Key Vault
// reference) and the restic password (copied into each Repository's Kubernetes Secret, docs/deploy.md).
// RBAC authorization: the Functions app's identity may read secrets, nothing else.

@description('Azure region.')
param location string

@description('Key Vault name: 3 to 24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Principal id of the Functions app\'s identity (Key Vault Secrets User).')
param functionsPrincipalId string

@secure()
@description('The webhook master key (at least 32 characters).')
@minLength(32)
param webhookMasterKey string

@secure()
@description('The restic repository password.')
@minLength(16)
param resticPassword string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

resource masterKey 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'webhook-master-key'
  properties: { value: webhookMasterKey, contentType: 'text/plain' }
}

resource resticSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'restic-password'
  properties: { value: resticPassword, contentType: 'text/plain' }
}

resource functionsReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionsPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: functionsPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output vaultName string = vault.name
// Versionless: the app picks up a rotated key (docs/operations.md).
output webhookMasterKeyUri string = '${vault.properties.vaultUri}secrets/${masterKey.name}/'
