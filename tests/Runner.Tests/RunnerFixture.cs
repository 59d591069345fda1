using Serverless.Backup.Core.Environment;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests;

/// <summary>One MariaDB server for the runner tests; each test makes its own databases and repositories.</summary>
public sealed class RunnerFixture : IAsyncLifetime
{
    public const string RepositoryPassword = "repo pw '\"$(x)";

    public MariaDbServer Database { get; private set; } = null!;

    public async Task InitializeAsync() => Database = await MariaDbServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Database is not null)
        {
            await Database.DisposeAsync();
        }
    }

    /// <summary>Settings for a run against the fixture's server and a local repository.</summary>
    public RunnerSettings Settings(string session, string repositoryPath, params string[] databases) => new()
    {
        Session = new() { Namespace = "tests", Name = session, Configuration = "cfg-" + session, RepositoryName = "local" },
        Database = new()
        {
            Host = Database.Host, Port = Database.Port, User = MariaDbServer.User, Password = MariaDbServer.Password,
            Databases = databases, WaitTimeout = TimeSpan.FromSeconds(20),
        },
        Repository = new() { Backend = RepositoryBackend.Local, Path = repositoryPath, Password = RepositoryPassword },
        Reporting = new() { ProgressInterval = TimeSpan.FromSeconds(1) },
    };
}

[CollectionDefinition(Name)]
public sealed class RunnerCollection : ICollectionFixture<RunnerFixture>
{
    public const string Name = "runner";
}
