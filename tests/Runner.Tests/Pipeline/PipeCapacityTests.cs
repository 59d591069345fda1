using System.IO.Pipes;
using Serverless.Backup.Runner.Streaming;

namespace Serverless.Backup.Runner.Tests.Pipeline;

/// <summary>The copy grows the pipes on both of its sides, so each side moves up to 1 MiB per wake-up.</summary>
public sealed class PipeCapacityTests
{
    [Fact]
    public async Task An_enlarged_pipe_takes_a_whole_mebibyte_before_anyone_reads()
    {
        using var writer = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, writer.ClientSafePipeHandle);

        Assert.True(PipeCapacity.TryEnlarge(writer));
        // With the default 64 KiB this write would block until a reader drained the pipe.
        var data = new byte[PipeCapacity.Preferred];
        Random.Shared.NextBytes(data);
        await Task.Run(() => writer.Write(data)).WaitAsync(TimeSpan.FromSeconds(10));

        var back = new byte[data.Length];
        await reader.ReadExactlyAsync(back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void A_stream_that_is_not_a_pipe_is_left_alone()
    {
        using var memory = new MemoryStream();
        Assert.False(PipeCapacity.TryEnlarge(memory));
    }
}
