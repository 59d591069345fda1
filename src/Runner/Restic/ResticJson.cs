using System.Text;
using System.Text.Json;

namespace Serverless.Backup.Runner.Restic;

/// <summary>Reads restic's --json output, which is not always JSON alone.</summary>
public static class ResticJson
{
    /// <summary>
    /// The first JSON value of <paramref name="output"/>, or <paramref name="empty"/> when there is none. restic 0.14's
    /// `forget --json --prune` prints prune's plain text after the JSON, and prints nothing when no snapshot matched.
    /// </summary>
    public static T FirstValue<T>(string output, T empty)
    {
        var start = output.IndexOfAny(['[', '{']);
        if (start < 0)
        {
            return empty;
        }
        var bytes = Encoding.UTF8.GetBytes(output[start..]);
        var reader = new Utf8JsonReader(bytes, isFinalBlock: true, state: default);
        reader.Read();
        reader.Skip();
        return JsonSerializer.Deserialize<T>(bytes.AsSpan(0, (int)reader.BytesConsumed)) ?? empty;
    }
}
