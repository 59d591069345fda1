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

// The latest value of each gauge in the window, one row per configuration with the gauges in a bag.
var latestPerConfiguration = '''
| extend namespace = tostring(Properties.namespace), configuration = tostring(Properties.configuration)
| summarize arg_max(TimeGenerated, Sum) by Name, namespace, configuration
| summarize values = make_bag(bag_pack(Name, Sum)) by namespace, configuration'''

// Each alert: its name suffix, display name, severity, evaluation period, query, dimensions and description.
var alerts = [
  {
    name: 'session-failed'
    displayName: 'MySQL backup session failed'
    description: 'A backup, restore or maintenance session (a verification included) ended Failed. The dimensions name it and its reason; the message names the fix. See docs/operations.md, Azure portal.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT5M'
    query: '''AppEvents
| where Name == "MySqlBackup.SessionEnded"
| where tostring(Properties.phase) == "Failed"
| project TimeGenerated, namespace = tostring(Properties.namespace), kind = tostring(Properties.kind), session = tostring(Properties.session),
    configuration = tostring(Properties.configuration), reason = tostring(Properties.reason), message = tostring(Properties.message), OperationId'''
    dimensions: ['namespace', 'kind', 'session', 'reason']
    autoMitigate: false
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'backup-missing'
    displayName: 'MySQL backup missing: no success within twice the schedule'
    description: 'A configuration\'s last successful backup is older than twice its schedule interval. See docs/operations.md, Azure portal.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT30M'
    query: format('''AppMetrics
| where Name in ("mysql_backup_configuration_last_success_timestamp_seconds", "mysql_backup_configuration_schedule_interval_seconds"){0}
| extend lastSuccess = todouble(values["mysql_backup_configuration_last_success_timestamp_seconds"]), intervalSeconds = todouble(values["mysql_backup_configuration_schedule_interval_seconds"])
| where isnotnull(lastSuccess) and isnotnull(intervalSeconds)
| extend sinceSuccessSeconds = datetime_diff('second', now(), unixtime_seconds_todatetime(lastSuccess))
| where sinceSuccessSeconds > 2 * intervalSeconds''', latestPerConfiguration)
    dimensions: ['namespace', 'configuration']
    autoMitigate: true
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'verification-failed'
    displayName: 'MySQL backup verification failed or overdue'
    description: 'A configuration\'s last verification failed (problem "failed"), or none finished within twice its verification interval (problem "overdue"). See docs/operations.md, Verification.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT30M'
    query: format('''AppMetrics
| where Name in ("mysql_backup_configuration_last_verification_timestamp_seconds", "mysql_backup_configuration_last_verification_succeeded", "mysql_backup_configuration_verification_interval_seconds"){0}
| extend verified = todouble(values["mysql_backup_configuration_last_verification_timestamp_seconds"]), succeeded = todouble(values["mysql_backup_configuration_last_verification_succeeded"]),
    intervalSeconds = todouble(values["mysql_backup_configuration_verification_interval_seconds"])
| extend sinceVerifiedSeconds = datetime_diff('second', now(), unixtime_seconds_todatetime(verified))
| extend problem = case(succeeded == 0, "failed", isnotnull(verified) and isnotnull(intervalSeconds) and sinceVerifiedSeconds > 2 * intervalSeconds, "overdue", "")
| where problem != ""''', latestPerConfiguration)
    dimensions: ['namespace', 'configuration', 'problem']
    autoMitigate: true
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'pitr-lag'
    displayName: 'MySQL point-in-time archive lagging'
    description: 'The latest recoverable second of a configuration is older than twice its binary-log archive interval: a restore cannot reach the last minutes. See docs/operations.md, Azure portal.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT30M'
    query: format('''AppMetrics
| where Name in ("mysql_backup_configuration_pitr_latest_recoverable_timestamp_seconds", "mysql_backup_configuration_pitr_archive_interval_seconds"){0}
| extend latest = todouble(values["mysql_backup_configuration_pitr_latest_recoverable_timestamp_seconds"]), intervalSeconds = todouble(values["mysql_backup_configuration_pitr_archive_interval_seconds"])
| where isnotnull(latest) and isnotnull(intervalSeconds)
| extend lagSeconds = datetime_diff('second', now(), unixtime_seconds_todatetime(latest))
| where lagSeconds > 2 * intervalSeconds''', latestPerConfiguration)
    dimensions: ['namespace', 'configuration']
    autoMitigate: true
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'pitr-gap'
    displayName: 'MySQL point-in-time archive has a gap'
    description: 'Binary logs are missing from a configuration\'s archive: some seconds cannot be restored to. See docs/operations.md, Azure portal.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT30M'
    query: format('''AppMetrics
| where Name == "mysql_backup_configuration_pitr_gaps"{0}
| extend gaps = todouble(values["mysql_backup_configuration_pitr_gaps"])
| where gaps > 0''', latestPerConfiguration)
    dimensions: ['namespace', 'configuration']
    autoMitigate: true
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'invalid-resource'
    displayName: 'MySQL backup resource invalid'
    description: 'A BackupConfiguration, Repository or session cannot be read or is invalid and is skipped until fixed. See docs/operations.md, Invalid resources.'
    severity: 2
    frequency: 'PT15M'
    window: 'PT15M'
    query: '''AppMetrics
| where Name == "mysql_backup_invalid_resources"
| extend namespace = tostring(Properties.namespace), kind = tostring(Properties.kind), resource = tostring(Properties.name)
| summarize arg_max(TimeGenerated, Sum) by namespace, kind, resource
| where Sum == 1'''
    dimensions: ['namespace', 'kind', 'resource']
    autoMitigate: true
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: 'scheduler-down'
    displayName: 'MySQL backup scheduler not running'
    description: 'The ScheduleTick function of ${functionAppName} had no successful run in 15 minutes: no scheduled session is created. See docs/operations.md, Azure portal.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'AppRequests | where AppRoleName =~ "${functionAppName}" and Name == "ScheduleTick" and Success == true'
    dimensions: []
    autoMitigate: true
    operator: 'LessThan'
    threshold: 1
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in alerts: {
    name: '${namePrefix}-${alert.name}'
    location: location
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [workspace.id]
      evaluationFrequency: alert.frequency
      windowSize: alert.window
      criteria: {
        allOf: [
          {
            query: alert.query
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
