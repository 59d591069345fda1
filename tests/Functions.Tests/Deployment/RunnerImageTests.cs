using System.Text.RegularExpressions;
using System.Xml.Linq;
using Serverless.Backup.Control.Resources;
using Serverless.Backup.Control.Jobs;
using Serverless.Backup.Testing;

namespace Serverless.Backup.Functions.Tests.Deployment;

/// <summary>
/// infra/k8s/runner.Dockerfile, checked statically (no Docker engine here): pinned bases, a verified restic of a
/// recent enough version, a numeric non-root user that is the Job's, the runner as entrypoint, and writable
/// paths only where the Job mounts its temp volume.
/// </summary>
public sealed partial class RunnerImageTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(TestEnvironment.RepoRoot, "infra", "k8s", "runner.Dockerfile"))
        .Where(l => !l.TrimStart().StartsWith('#'))
        .ToArray();

    private static IEnumerable<string> FinalStage => Lines.SkipWhile((_, i) => i < Array.FindLastIndex(Lines, l => l.StartsWith("FROM ", StringComparison.Ordinal)));

    [Fact]
    public void Every_base_image_is_pinned_by_version_or_digest()
    {
        var images = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToList();

        Assert.Equal(3, images.Count);
        Assert.All(images, image => Assert.True(
            image.Contains("@sha256:", StringComparison.Ordinal) || PinnedTag().IsMatch(image),
            $"{image} is not pinned: use a version tag such as debian:12.12-slim or a digest"));
    }

    [Fact]
    public void Restic_is_a_release_of_at_least_0_16_checked_against_its_sha256()
    {
        var version = Version.Parse(Arg("RESTIC_VERSION"));
        var sha = Arg("RESTIC_SHA256");

        Assert.True(version >= new Version(0, 16), $"restic {version} is older than 0.16");
        Assert.Matches("^[0-9a-f]{64}$", sha);
        Assert.Contains(Lines, l => l.Contains("sha256sum -c", StringComparison.Ordinal) && l.Contains("${RESTIC_SHA256}", StringComparison.Ordinal));
        Assert.Contains(FinalStage, l => l.StartsWith("COPY --from=restic", StringComparison.Ordinal));
        Assert.Contains(FinalStage, l => l.Contains("mariadb-client", StringComparison.Ordinal));
    }

    [Fact]
    public void The_image_runs_the_runner_as_the_jobs_numeric_non_root_user()
    {
        var user = FinalStage.Single(l => l.StartsWith("USER ", StringComparison.Ordinal))[5..].Trim();
        var entrypoint = FinalStage.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        var runner = XDocument.Load(Path.Combine(TestEnvironment.RepoRoot, "src", "Runner", "Runner.csproj")).Descendants("AssemblyName").Single().Value;

        Assert.Matches("^[0-9]+(:[0-9]+)?$", user);
        var uid = long.Parse(user.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(0, uid);
        Assert.Equal(new RunnerJobOptions { Image = "x" }.RunAsUser, uid);
        Assert.Equal($"ENTRYPOINT [\"/opt/backup-runner/{runner}\"]", entrypoint);
        Assert.Contains(Lines, l => l.Contains("--self-contained", StringComparison.Ordinal) && l.Contains("-r linux-x64", StringComparison.Ordinal));
    }

    [Fact]
    public void Everything_the_runner_writes_goes_to_the_temp_volume_the_job_mounts_on_its_read_only_root()
    {
        var job = JobFactory.Build(Request(), new RunnerJobOptions { Image = "runner:1" });
        var container = job.Spec.Template.Spec.Containers.Single();
        var writable = container.VolumeMounts.Where(m => job.Spec.Template.Spec.Volumes.Single(v => v.Name == m.Name).EmptyDir is not null).Select(m => m.MountPath).ToList();
        var env = ImageEnvironment();

        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        foreach (var name in new[] { "HOME", "TMPDIR", "RESTIC_CACHE_DIR", "XDG_CACHE_HOME", "DOTNET_BUNDLE_EXTRACT_BASE_DIR" })
        {
            Assert.True(env.TryGetValue(name, out var path), $"the image does not set {name}");
            Assert.True(writable.Any(m => path == m || path.StartsWith(m + "/", StringComparison.Ordinal)), $"{name}={path} is not under a writable mount of the Job ({string.Join(", ", writable)})");
        }
        Assert.Equal(env["TMPDIR"], container.Env.Single(e => e.Name == "TMPDIR").Value);
    }

    [Fact]
    public void The_image_and_the_job_give_the_runtime_the_same_settings()
    {
        var job = JobFactory.Build(Request(), new RunnerJobOptions { Image = "runner:1" });
        var container = job.Spec.Template.Spec.Containers.Single();
        var env = ImageEnvironment();

        Assert.NotEmpty(Serverless.Backup.Core.Environment.RunnerRuntime.Environment);
        foreach (var (name, value) in Serverless.Backup.Core.Environment.RunnerRuntime.Environment)
        {
            Assert.True(env.TryGetValue(name, out var inImage), $"the image does not set {name}");
            Assert.Equal(value, inImage);
            Assert.Equal(value, container.Env.Single(e => e.Name == name).Value);
        }
    }

    /// <summary>The final stage's ENV instruction (one variable a line).</summary>
    private static Dictionary<string, string> ImageEnvironment() =>
        FinalStage.SkipWhile(l => !l.StartsWith("ENV ", StringComparison.Ordinal))
            .TakeWhile(l => l.StartsWith("ENV ", StringComparison.Ordinal) || l.StartsWith("    ", StringComparison.Ordinal))
            .Select(l => l.Replace("ENV ", "", StringComparison.Ordinal).TrimEnd('\\').Trim())
            .Select(l => l.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1]);

    private static string Arg(string name) =>
        Lines.Select(l => l.Trim()).Single(l => l.StartsWith($"ARG {name}=", StringComparison.Ordinal))[$"ARG {name}=".Length..];

    private static JobRequest Request() => new()
    {
        Backup = new BackupSession { Metadata = new() { Name = "shop-1", NamespaceProperty = "prod", Uid = "uid-1" }, Spec = new() { Invoker = new() { Name = "shop" } } },
        Configuration = new BackupConfiguration
        {
            Metadata = new() { Name = "shop", NamespaceProperty = "prod" },
            Spec = new() { Schedule = "0 1 * * *", Repository = new() { Name = "blob" }, Target = new() { Ref = new() { Name = "shop-db" } } },
        },
        Repository = new Repository
        {
            Metadata = new() { Name = "blob", NamespaceProperty = "prod" },
            Spec = new() { Backend = new() { StorageSecretName = "blob-secret", Azure = new() { Container = "backups" } } },
        },
        AppBinding = new AppBinding
        {
            Metadata = new() { Name = "shop-db", NamespaceProperty = "prod" },
            Spec = new() { ClientConfig = new() { Service = new() { Name = "mysql" } }, Secret = new() { Name = "shop-db-auth" } },
        },
        SessionSecretName = "shop-1-webhook",
    };

    [GeneratedRegex(@"^[^:@]+:(\d+[\w.-]*|[\w.-]*\d+\.\d+[\w.-]*)$")]
    private static partial Regex PinnedTag();
}
