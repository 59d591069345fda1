// Log Analytics, workspace-based Application Insights for the Functions app, the backup workbook, and the alerts of
// docs/operations.md. Every alert and tile reads the app's own telemetry in the workspace (AppEvents: the session
// events; AppMetrics: the per-configuration gauges of /api/metrics; AppRequests: the timer invocations), so none
// needs Container Insights on the cluster. Names and dimensions: src/Control/Observability (SessionTelemetry,
// StatusMetrics) and src/Core/Metrics/MetricNames.cs; a test checks every query against them.

@description('Azure region.')
param location string

@description('Prefix of the resource names.')
param namePrefix string

@description('E-mail address alerts go to; empty for none.')
param alertEmail string

@secure()
@description('Webhook the alerts are posted to (common alert schema), such as a Teams or Slack workflow URL; empty for none.')
param alertWebhookUrl string

@description('Name of the Functions app (its timer invocations are watched).')
param functionAppName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: false
  }
}

var notify = !empty(alertEmail) || !empty(alertWebhookUrl)

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (notify) {
  name: '${namePrefix}-backup-alerts'
  location: 'global'
  properties: {
    groupShortName: 'mysqlbackup'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      { name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
    webhookReceivers: empty(alertWebhookUrl) ? [] : [
      { name: 'chat', serviceUri: alertWebhookUrl, useCommonAlertSchema: true }
    ]
  }
}

var actions = notify ? { actionGroups: [actionGroup.id] } : {}

// The workbook: freshness, sessions by phase, failures, repositories, restores, point-in-time recovery, verification.
resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, namePrefix, 'mysql-backup-workbook')
  location: location
  kind: 'shared'
  properties: {
    displayName: 'MySQL backups (${namePrefix})'
    category: 'workbook'
    sourceId: workspace.id
    serializedData: replace(string(loadJsonContent('../workbook.json')), '__WORKSPACE_ID__', workspace.id)
  }
}

// The alerts (names, queries, dimensions), in a file of their own so that a test reads them as they are deployed.
var alerts = loadJsonContent('../alerts.json')

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in alerts: {
    name: '${namePrefix}-${alert.name}'
    location: location
    properties: {
      displayName: alert.displayName
      description: replace(alert.description, '__FUNCTION_APP__', functionAppName)
      severity: alert.severity
      enabled: true
      scopes: [workspace.id]
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      criteria: {
        allOf: [
          {
            query: replace(alert.query, '__FUNCTION_APP__', functionAppName)
            timeAggregation: 'Count'
            operator: alert.operator
            threshold: alert.threshold
            dimensions: [for dimension in alert.dimensions: { name: dimension, operator: 'Include', values: ['*'] }]
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: alert.autoMitigate
      actions: actions
    }
  }
]

output workspaceId string = workspace.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output workbookId string = workbook.id
output alertRuleNames array = [for (alert, i) in alerts: alertRules[i].name]
