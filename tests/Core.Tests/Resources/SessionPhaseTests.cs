using Serverless.Backup.Core.Resources;

namespace Serverless.Backup.Core.Tests.Resources;

public sealed class SessionPhaseTests
{
    [Theory]
    [InlineData(null, "Pending", true)]
    [InlineData("Pending", "Running", true)]
    [InlineData("Pending", "Succeeded", true)]
    [InlineData("Running", "Failed", true)]
    [InlineData("Running", "Pending", false)]
    [InlineData("Succeeded", "Failed", false)]
    [InlineData("Failed", "Succeeded", false)]
    [InlineData("Succeeded", "Running", false)]
    [InlineData("Skipped", "Running", false)]
    public void Phases_only_move_forward(string? from, string to, bool allowed) =>
        Assert.Equal(allowed, SessionPhase.CanMove(from, to));
}
