using System.Text;
using Serverless.Backup.Core;
using Serverless.Backup.Runner.Verify;

namespace Serverless.Backup.Runner.Tests.Verify;

public sealed class DumpNormalizerTests
{
    private const string Dump = """
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
        --
        -- Host: localhost    Database: shop
        -- ------------------------------------------------------
        -- Server version	10.11.19-MariaDB-0+deb12u1
        /*!40101 SET NAMES utf8mb4 */;

        --
        -- Table structure for table `orders`
        --

        CREATE TABLE `orders` (`id` int(11) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;

        --
        -- Dumping data for table `orders`
        --

        INSERT INTO `orders` VALUES (1),(2);

        --
        -- Dumping routines for database 'shop'
        --

        -- Dump completed

        """;

    private static DumpNormalizer Normalize(string text, int chunk)
    {
        var normalizer = new DumpNormalizer();
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            normalizer.Append(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        }
        normalizer.Complete();
        return normalizer;
    }

    [Fact]
    public void The_lines_that_name_the_database_or_server_are_left_out_and_chunking_does_not_matter()
    {
        var original = Normalize(Dump, 1 << 20);
        var renamed = Normalize(Dump.Replace("Database: shop", "Database: verify_shop_1a2b3c4d").Replace("database 'shop'", "database 'verify_shop_1a2b3c4d'")
            .Replace("10.11.19-MariaDB-0", "10.11.20-MariaDB-0"), 1);

        Assert.Equal(original.Sha256, renamed.Sha256);
        Assert.True(original.EndsWithCompletionTrailer);
        Assert.Equal(["header", "structure of table `orders`", "data of table `orders`", "routines"], original.Complete().Select(s => s.Label));
        Assert.Null(DumpNormalizer.FirstDifference(original.Complete(), renamed.Complete()));
    }

    [Theory]
    [InlineData("(1),(2)", "(1),(3)", "data of table `orders`")]
    [InlineData("NOT NULL, PRIMARY", "NULL, PRIMARY", "structure of table `orders`")]
    [InlineData("SET NAMES utf8mb4", "SET NAMES latin1", "header")]
    public void Any_other_change_differs_and_names_its_section(string from, string to, string section)
    {
        var original = Normalize(Dump, 7);
        var changed = Normalize(Dump.Replace(from, to), 13);

        Assert.NotEqual(original.Sha256, changed.Sha256);
        Assert.Equal(section, DumpNormalizer.FirstDifference(original.Complete(), changed.Complete()));
    }

    [Fact]
    public void A_dump_cut_short_has_no_completion_trailer()
    {
        Assert.True(Normalize(Dump + "\n\n", 3).EndsWithCompletionTrailer);
        Assert.False(Normalize(Dump[..Dump.IndexOf("INSERT", StringComparison.Ordinal)], 5).EndsWithCompletionTrailer);
        Assert.False(Normalize(Dump.Replace("-- Dump completed\n", "-- Dump completed\nINSERT"), 5).EndsWithCompletionTrailer);
    }

    [Fact]
    public void Scratch_names_keep_the_session_hash_and_fit_in_a_database_name()
    {
        var name = ScratchNames.For("verify_", "shop", "prod", "nightly-1");
        Assert.Matches("^verify_shop_[0-9a-f]{8}$", name);
        Assert.Equal(name, ScratchNames.For("verify_", "shop", "prod", "nightly-1"));
        Assert.NotEqual(name, ScratchNames.For("verify_", "shop", "prod", "nightly-2"));

        var (a, b) = (new string('a', 30) + "x" + new string('z', 33), new string('a', 30) + "y" + new string('z', 33));
        var (longA, longB) = (ScratchNames.For("verify_", a, "prod", "s"), ScratchNames.For("verify_", b, "prod", "s"));
        Assert.Equal(DatabaseNames.MaxLength, longA.Length);
        Assert.StartsWith("verify_aaa", longA);
        Assert.Matches("zzz_[0-9a-f]{8}$", longA);
        Assert.NotEqual(longA, longB);
        Assert.Null(DatabaseNames.Problem(longA));
    }
}
