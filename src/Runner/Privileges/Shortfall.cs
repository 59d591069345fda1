namespace Serverless.Backup.Runner.Privileges;

/// <summary>
/// What the account lacks to dump everything of one database (<see cref="Database"/>) or of all of them (null:
/// routines, a global lock), what the <see cref="Subject"/> of the message is, and the grants that fix it.
/// </summary>
public sealed record Shortfall(string? Database, string Subject, IReadOnlyList<string> Problems, IReadOnlyList<MissingGrant> Grants);
