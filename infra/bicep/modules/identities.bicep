// Two user-assigned identities: the Functions app's (Key Vault references, its storage, the AKS API) and the
// runner's (the backup container, through Azure workload identity: a federated credential per namespace
// trusts the Kubernetes ServiceAccount mysql-backup-runner of that namespace).

@description('Azure region.')
param location string

@description('Prefix of the resource names.')
param namePrefix string

@description('OIDC issuer URL of the AKS cluster (az aks show --query oidcIssuerProfile.issuerUrl).')
param aksOidcIssuerUrl string

@description('Namespaces whose runner Jobs use workload identity.')
param runnerNamespaces array

@description('The runner Jobs\' ServiceAccount (RunnerJobOptions.ServiceAccountName).')
param runnerServiceAccountName string

resource functionsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: '${namePrefix}-functions'
  location: location
}

resource runnerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: '${namePrefix}-runner'
  location: location
}

// Federated credentials of one identity cannot be written concurrently: one at a time.
@batchSize(1)
resource runnerFederation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2024-11-30' = [for ns in runnerNamespaces: {
  parent: runnerIdentity
  name: 'aks-${ns}-${runnerServiceAccountName}'
  properties: {
    issuer: aksOidcIssuerUrl
    subject: 'system:serviceaccount:${ns}:${runnerServiceAccountName}'
    audiences: ['api://AzureADTokenExchange']
  }
}]

output functionsIdentityId string = functionsIdentity.id
output functionsPrincipalId string = functionsIdentity.properties.principalId
output functionsClientId string = functionsIdentity.properties.clientId
output runnerPrincipalId string = runnerIdentity.properties.principalId
output runnerClientId string = runnerIdentity.properties.clientId
output federatedSubjects array = [for (ns, i) in runnerNamespaces: runnerFederation[i].properties.subject]
