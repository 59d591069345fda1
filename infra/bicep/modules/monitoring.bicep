// Log Analytics, workspace-based Application Insights for the Functions app, and the alerts of docs/operations.md.
// The runner's events reach the same workspace when the AKS cluster's Container Insights writes to it
// (docs/deploy.md enables it): the runner prints one JSON event a line on stdout.

@description('Azure region.')
param location string

@description('Prefix of the resource names.')
param namePrefix string

@description('E-mail address alerts go to; empty for no action group.')
param alertEmail string

@description('Hours without a successful backup after which the missing-backup alert fires (longer than the longest schedule interval).')
@minValue(1)
param missingBackupHours int

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

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: '${namePrefix}-backup-alerts'
  location: 'global'
  properties: {
    groupShortName: 'mysqlbackup'
    enabled: true
    emailReceivers: [
      { name: 'operators', emailAddress: alertEmail, useCommonAlertSchema: true }
    ]
  }
}

var actions = empty(alertEmail) ? {} : { actionGroups: [actionGroup.id] }

// A runner reported a failed backup, restore or maintenance, a verification included (its "failed" event, with
// the reason, on stdout: verificationFailed when the newest backup did not restore to the same data).
resource failedBackup 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-backup-failed'
  location: location
  properties: {
    displayName: 'MySQL backup failed'
    description: 'A backup, restore or maintenance runner (verify included) ended with a failed event. The alert shows the session and the reason; see docs/operations.md.'
    severity: 1
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'ContainerLogV2 | where ContainerName == "runner" | extend event = parse_json(tostring(LogMessage)) | where tostring(event.type) == "failed" | project TimeGenerated, PodNamespace, session = tostring(event.session), verb = tostring(event.verb), reason = tostring(event.reason), message = tostring(event.message)'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            { name: 'PodNamespace', operator: 'Include', values: ['*'] }
            { name: 'session', operator: 'Include', values: ['*'] }
            { name: 'reason', operator: 'Include', values: ['*'] }
          ]
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: false
    actions: actions
  }
}

// No backup succeeded for longer than any schedule allows: schedules stopped, or every run fails.
resource missingBackup 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-backup-missing'
  location: location
  properties: {
    displayName: 'MySQL backup missing'
    description: 'No backup runner reported success in the last ${missingBackupHours} hours; see docs/operations.md.'
    severity: 2
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT${missingBackupHours}H'
    criteria: {
      allOf: [
        {
          query: 'ContainerLogV2 | where ContainerName == "runner" | extend event = parse_json(tostring(LogMessage)) | where tostring(event.type) == "succeeded" and tostring(event.verb) == "backup"'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

// The ScheduleTick timer stopped running or keeps failing: no scheduled session is created at all.
resource schedulerDown 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-scheduler-down'
  location: location
  properties: {
    displayName: 'MySQL backup scheduler not running'
    description: 'The ScheduleTick function of ${functionAppName} had no successful run in 15 minutes; see docs/operations.md.'
    severity: 1
    enabled: true
    scopes: [workspace.id]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'AppRequests | where AppRoleName =~ "${functionAppName}" and Name == "ScheduleTick" and Success == true'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
        }
      ]
    }
    autoMitigate: true
    actions: actions
  }
}

output workspaceId string = workspace.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
output alertRuleNames array = [failedBackup.name, missingBackup.name, schedulerDown.name]
