// Azure resources for the serverless MySQL backup: the Functions app (Flex Consumption, dotnet-isolated), the
// backup storage, the identities (the runner's through AKS workload identity), Key Vault for the secrets,
// monitoring (Application Insights, the backup workbook) and alerts on the app's own telemetry. Deploy into a resource group (docs/deploy.md):
//   az deployment group create -g <group> -f infra/bicep/main.bicep -p infra/bicep/main.bicepparam
// The AKS cluster itself is not created here; it needs the OIDC issuer and workload identity enabled.
targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Prefix of resource names, 3 to 11 lowercase letters and digits (storage and vault names derive from it).')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('OIDC issuer URL of the AKS cluster (az aks show -n <aks> -g <group> --query oidcIssuerProfile.issuerUrl -o tsv).')
param aksOidcIssuerUrl string

@description('AKS API server URL, https://<fqdn>:443 (az aks show --query fqdn). The Functions app calls it with its managed identity.')
param aksApiServerUrl string

@description('Namespaces whose runner Jobs reach the backup container with workload identity.')
@minLength(1)
param runnerNamespaces array

@description('The runner image, pinned by tag or digest, such as myregistry.azurecr.io/mysql-backup-runner:1.0.0.')
param runnerImage string

@description('Pushgateway URL as seen from inside the cluster, or empty for no metrics.')
param pushgatewayUrl string = ''

@description('IANA time zone of schedules without spec.timeZone.')
param timeZone string = 'UTC'

@description('Container of the restic repositories in the backup storage account.')
param backupContainerName string = 'mysql-backups'

@description('Allow account keys on the backup storage account (only for runners that cannot use workload identity).')
param allowSharedKeyAccess bool = false

@secure()
@description('Webhook master key, at least 32 characters (openssl rand -base64 48). Stored in Key Vault only.')
param webhookMasterKey string

@secure()
@description('restic repository password (openssl rand -base64 32). Stored in Key Vault only.')
param resticPassword string

@description('E-mail address for the alerts, or empty for none.')
param alertEmail string = ''

@secure()
@description('Webhook for the alerts (common alert schema), such as a Teams or Slack workflow URL, or empty for none. Kept out of the parameters file: its URL carries its key.')
param alertWebhookUrl string = ''

@description('Maximum Flex Consumption instances.')
param maximumInstanceCount int = 40

var suffix = uniqueString(resourceGroup().id, namePrefix)
var functionAppName = '${namePrefix}-backup-${suffix}'
var runnerServiceAccountName = 'mysql-backup-runner'

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    location: location
    namePrefix: namePrefix
    aksOidcIssuerUrl: aksOidcIssuerUrl
    runnerNamespaces: runnerNamespaces
    runnerServiceAccountName: runnerServiceAccountName
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    namePrefix: namePrefix
    alertEmail: alertEmail
    alertWebhookUrl: alertWebhookUrl
    functionAppName: functionAppName
  }
}

module backupStorage 'modules/backupStorage.bicep' = {
  name: 'backupStorage'
  params: {
    location: location
    accountName: take('${namePrefix}bk${suffix}', 24)
    containerName: backupContainerName
    runnerPrincipalId: identities.outputs.runnerPrincipalId
    allowSharedKeyAccess: allowSharedKeyAccess
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    vaultName: take('${namePrefix}-kv-${suffix}', 24)
    functionsPrincipalId: identities.outputs.functionsPrincipalId
    webhookMasterKey: webhookMasterKey
    resticPassword: resticPassword
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    appName: functionAppName
    storageAccountName: take('${namePrefix}fn${suffix}', 24)
    identityId: identities.outputs.functionsIdentityId
    identityPrincipalId: identities.outputs.functionsPrincipalId
    identityClientId: identities.outputs.functionsClientId
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    webhookMasterKeyUri: keyVault.outputs.webhookMasterKeyUri
    aksApiServerUrl: aksApiServerUrl
    runnerImage: runnerImage
    pushgatewayUrl: pushgatewayUrl
    timeZone: timeZone
    maximumInstanceCount: maximumInstanceCount
  }
}

@description('The Functions app: zip deploy target (az functionapp deployment source config-zip --name <this>).')
output functionAppName string = functionApp.outputs.name

@description('The app\'s base URL (the HTTP API under /api; runners call /api/events).')
output functionAppUrl string = 'https://${functionApp.outputs.defaultHostName}'

@description('Object id of the app\'s identity: the User subject in infra/k8s/rbac/functions-app.yaml.')
output functionsIdentityPrincipalId string = identities.outputs.functionsPrincipalId

@description('Client id of the runner identity: the azure.workload.identity/client-id annotation in infra/k8s/rbac/runner.yaml.')
output runnerIdentityClientId string = identities.outputs.runnerClientId

@description('spec.backend.azure.storageAccount of the Blob Repository sample.')
output backupStorageAccountName string = backupStorage.outputs.accountName

@description('spec.backend.azure.container of the Blob Repository sample.')
output backupContainerName string = backupStorage.outputs.containerName

@description('Key Vault holding webhook-master-key and restic-password.')
output keyVaultName string = keyVault.outputs.vaultName

@description('Log Analytics workspace of Application Insights: the alerts and the workbook read the app\'s telemetry there (no Container Insights needed).')
output logAnalyticsWorkspaceId string = monitoring.outputs.workspaceId

@description('The backup workbook (Azure portal: Monitor, Workbooks), explained in docs/operations.md.')
output workbookId string = monitoring.outputs.workbookId

@description('Alert rules, explained in docs/operations.md.')
output alertRuleNames array = monitoring.outputs.alertRuleNames
