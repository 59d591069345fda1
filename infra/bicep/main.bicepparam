// Example parameters: copy, fill in, and keep the secrets out of the file (they come from the environment).
using 'main.bicep'

param namePrefix = 'shopbk'
param aksOidcIssuerUrl = 'https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/'
param aksApiServerUrl = 'https://myaks-dns-12345678.hcp.westeurope.azmk8s.io:443'
param runnerNamespaces = ['prod']
param runnerImage = 'myregistry.azurecr.io/mysql-backup-runner:1.0.0'
param pushgatewayUrl = ''
param timeZone = 'Europe/Berlin'
param alertEmail = 'ops@example.com'
param webhookMasterKey = readEnvironmentVariable('BACKUP_WEBHOOK_MASTER_KEY')
param resticPassword = readEnvironmentVariable('RESTIC_PASSWORD')
