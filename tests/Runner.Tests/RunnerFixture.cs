using Serverless.Backup.Core.Environment;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Runner.Tests;

/// <summary>One MariaDB server for the runner tests; each test makes its own databases and repositories.</summary>
public sealed class RunnerFixture : IAsyncLifetime
{
    public const string RepositoryPassword = "repo pw '\"$(x)";

    public MariaDbServer Database { get; private set; } = null!;
    public AzuriteServer Azurite { get; private set; } = null!;
    public S3rverServer S3 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var database = MariaDbServer.StartAsync();
        var azurite = AzuriteServer.StartAsync();
        var s3 = S3rverServer.StartAsync();
        Database = await database;
        Azurite = await azurite;
        S3 = await s3;
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new IAsyncDisposable?[] { Database, Azurite, S3 })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Repository settings for a fresh container/bucket (or folder) on each backend.</summary>
    public RepositorySettings Repository(string backend, string name) => backend switch
    {
        "local" => new() { Backend = RepositoryBackend.Local, Path = Path.Combine(TestEnvironment.TempFolder("repo"), name), Password = RepositoryPassword },
        "azure" => new()
        {
            Backend = RepositoryBackend.Azure, AzureEndpoint = Azurite.Endpoint, AzureAccountName = AzuriteServer.Account,
            AzureAccountKey = AzuriteServer.Key, AzureContainer = name, Prefix = "mysql/tests", Password = RepositoryPassword,
        },
        "s3" => new()
        {
            Backend = RepositoryBackend.S3, S3Endpoint = S3.Endpoint, S3Bucket = name, S3ForcePathStyle = true,
            AwsAccessKeyId = S3rverServer.AccessKey, AwsSecretAccessKey = S3rverServer.SecretKey, Prefix = "mysql/tests", Password = RepositoryPassword,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(backend)),
    };

    /// <summary>Settings for a run against the fixture's server and a local repository.</summary>
    public RunnerSettings Settings(string session, string repositoryPath, params string[] databases) =>
        Settings(session, new RepositorySettings { Backend = RepositoryBackend.Local, Path = repositoryPath, Password = RepositoryPassword }, databases);

    /// <summary>Settings for a run against the fixture's server and the given repository.</summary>
    public RunnerSettings Settings(string session, RepositorySettings repository, params string[] databases) => new()
    {
        Session = new() { Namespace = "tests", Name = session, Configuration = "cfg-" + session, RepositoryName = "local" },
        Database = new()
        {
            Host = Database.Host, Port = Database.Port, User = MariaDbServer.User, Password = MariaDbServer.Password,
            Databases = databases, WaitTimeout = TimeSpan.FromSeconds(20),
        },
        Repository = repository,
        Reporting = new() { ProgressInterval = TimeSpan.FromSeconds(1) },
    };
}

[CollectionDefinition(Name)]
public sealed class RunnerCollection : ICollectionFixture<RunnerFixture>
{
    public const string Name = "runner";
}
