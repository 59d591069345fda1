using k8s.Models;
using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Functions.Tests.Jobs;

/// <summary>Resources as a user would write them, for the Job tests.</summary>
internal static class Samples
{
    public static BackupConfiguration Configuration(string name = "shop") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "prod", Uid = "cfg-uid" },
        Spec = new BackupConfigurationSpec
        {
            Schedule = "0 1 * * *",
            Repository = new ObjectRef { Name = "azure-repo" },
            Target = new BackupTarget { Ref = new TargetRef { Name = "shop-db" }, Databases = ["shop"] },
            TimeOut = "30m",
        },
    };

    public static BackupSession Session(string name = "shop-202611240100") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "prod", Uid = "session-uid" },
        Spec = new BackupSessionSpec { Invoker = new SessionInvoker { Name = "shop" } },
    };

    public static Repository Repository() => new()
    {
        Metadata = new V1ObjectMeta { Name = "azure-repo", NamespaceProperty = "prod" },
        Spec = new RepositorySpec
        {
            Backend = new RepositoryBackendSpec
            {
                StorageSecretName = "azure-secret",
                Azure = new AzureBackendSpec { Container = "backups", Prefix = "mysql/prod" },
            },
        },
    };

    public static AppBinding Binding(ClientConfig? config = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "shop-db", NamespaceProperty = "prod" },
        Spec = new AppBindingSpec
        {
            ClientConfig = config ?? new ClientConfig { Service = new ServiceReference { Name = "mariadb", Port = 3307 } },
            Secret = new ObjectRef { Name = "shop-db-auth" },
        },
    };
}
