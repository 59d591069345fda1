using Serverless.Backup.Control.Resources;

namespace Serverless.Backup.Functions.Tests.Resources;

public sealed class RequiredFieldsTests
{
    [Fact]
    public void A_required_object_written_as_null_is_named_by_its_path()
    {
        Assert.Equal("spec.repository", RequiredFields.FirstNull(new BackupConfiguration { Spec = new BackupConfigurationSpec { Repository = null! } }));
        Assert.Equal("spec.target.ref", RequiredFields.FirstNull(new BackupConfiguration { Spec = new BackupConfigurationSpec { Target = new TargetSpec { Ref = null! } } }));
        Assert.Equal("spec", RequiredFields.FirstNull(new BackupConfiguration { Spec = null! }));
        Assert.Null(RequiredFields.FirstNull(new BackupConfiguration { Spec = new BackupConfigurationSpec { RetentionPolicy = null } }));
    }

    [Fact]
    public void Many_threads_may_ask_at_once()
    {
        var results = Enumerable.Range(0, 64).AsParallel().WithDegreeOfParallelism(16)
            .Select(_ => RequiredFields.FirstNull(new RestoreSession { Spec = new RestoreSessionSpec { Repository = null! } }))
            .ToList();
        Assert.All(results, r => Assert.Equal("spec.repository", r));
    }
}
