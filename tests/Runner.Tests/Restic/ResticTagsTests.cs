using Serverless.Backup.Runner.Restic;

namespace Serverless.Backup.Runner.Tests.Restic;

public sealed class ResticTagsTests
{
    [Theory]
    [InlineData("shop")]
    [InlineData("Shop_2026$x")]
    [InlineData("a-b.c")]
    public void Names_of_the_old_rule_are_written_as_they_are(string name)
    {
        Assert.Equal(name, ResticTags.Encode(name));
        Assert.Equal(name + ".sql", ResticTags.FileName(name));
    }

    [Theory]
    [InlineData("weird db ☃", "weird%20db%20%E2%98%83")]
    [InlineData("a,b=c", "a%2Cb%3Dc")]
    [InlineData("100%", "100%25")]
    [InlineData("a/b\\c", "a%2Fb%5Cc")]
    [InlineData(" x\n", "%20x%0A")]
    public void Other_characters_are_written_as_their_utf8_bytes_and_read_back(string name, string encoded)
    {
        Assert.Equal(encoded, ResticTags.Encode(name));
        Assert.Equal(name, ResticTags.Decode(encoded));
        Assert.Equal(name, ResticTags.DatabaseOfPath("/" + ResticTags.FileName(name)));
    }

    [Fact]
    public void A_snapshot_finds_its_database_in_the_tag_and_else_in_the_file_name()
    {
        var tagged = new ResticSnapshot { Id = "1", Tags = ["db=weird%20db%20%E2%98%83"], Paths = ["/weird%20db%20%E2%98%83.sql"] };
        var untagged = new ResticSnapshot { Id = "2", Paths = ["/Zo%C3%AB.sql"] };
        var old = new ResticSnapshot { Id = "3", Tags = ["db=shop"], Paths = ["/shop.sql"] };

        Assert.Equal("weird db ☃", tagged.Database);
        Assert.Equal("Zoë", untagged.Database);
        Assert.Equal(("shop", "/shop.sql"), (old.Database, old.FileName));
    }

    [Theory]
    [InlineData("50%")]
    [InlineData("%zz")]
    [InlineData("%4")]
    public void A_percent_sign_that_is_not_an_encoded_byte_is_kept(string value) => Assert.Equal(value, ResticTags.Decode(value));
}
