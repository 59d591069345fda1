using k8s.Models;

namespace Serverless.Backup.Functions.Jobs;

/// <summary>What a session needs in the cluster: the per-session Secret (webhook token) and the runner Job, both owned by the session.</summary>
public sealed record JobPlan(V1Secret Secret, V1Job Job);
