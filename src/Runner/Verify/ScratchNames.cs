using System.Security.Cryptography;
using System.Text;
using Serverless.Backup.Core;

namespace Serverless.Backup.Runner.Verify;

/// <summary>
/// The scratch database a verify run restores a database into: VERIFY_DATABASE_PREFIX + database + '_' + a short
/// hash of the session, so two sessions never share one. A name longer than a database name may be loses the
/// middle of prefix + database (its start and end stay readable); the hash then also covers the database, so two
/// long names that share their start and end still get different scratch names.
/// </summary>
public static class ScratchNames
{
    private const int HashLength = 8;

    public static string For(string prefix, string database, string sessionNamespace, string session)
    {
        var body = prefix + database;
        var max = DatabaseNames.MaxLength - HashLength - 1;
        if (body.Length <= max)
        {
            return $"{body}_{Hash($"{sessionNamespace}/{session}")}";
        }
        var head = max / 2;
        var shortened = body[..head] + body[^(max - head)..];
        return $"{shortened}_{Hash($"{sessionNamespace}/{session}\n{database}")}";
    }

    private static string Hash(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..HashLength];
}
