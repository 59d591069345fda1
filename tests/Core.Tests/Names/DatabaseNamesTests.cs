namespace Serverless.Backup.Core.Tests.Names;

public sealed class DatabaseNamesTests
{
    public static TheoryData<string> NamesTheServerAccepts => new()
    {
        "shop", "weird db ☃", "a-b", "a.b", ".", "..", "a/b", "a\\b", "a`b", "a\"b", "a'b", "a,b", "a=b", "%41", " leading",
        "line\nbreak", "tab\tinside", "[x]", "{x}", "a;b", "#mysql50", "a#mysql50#", "Zoë Ångström", "漢字", new string('x', 64),
        new string('é', 64), "\uffff", "trailing nbsp\u00a0",
    };

    [Theory]
    [MemberData(nameof(NamesTheServerAccepts))]
    public void Every_name_the_server_accepts_is_a_database_name(string name) => Assert.Null(DatabaseNames.Problem(name));

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("trailing ", "it ends with a space, tab or line break")]
    [InlineData("trailing\t", "it ends with a space, tab or line break")]
    [InlineData("trailing\n", "it ends with a space, tab or line break")]
    [InlineData(" ", "it ends with a space, tab or line break")]
    [InlineData("nul\0inside", "it has a NUL character at position 4")]
    [InlineData("rocket 🚀", "it has a character outside the Basic Multilingual Plane (U+1F680) at position 8")]
    [InlineData("#mysql50#old", "it starts with '#mysql50#'")]
    public void A_name_the_server_refuses_is_refused_with_the_reason(string name, string reason)
    {
        var problem = DatabaseNames.Problem(name);
        Assert.NotNull(problem);
        Assert.StartsWith(reason, problem);
    }

    [Fact]
    public void Sixty_five_characters_are_one_too_many() =>
        Assert.Equal("it has 65 characters, more than 64", DatabaseNames.Problem(new string('x', 65)));

    [Fact]
    public void A_lone_surrogate_is_refused() => Assert.Contains("lone surrogate", DatabaseNames.Problem("a\ud800b"));

    [Fact]
    public void The_message_about_a_bad_name_states_the_rule() =>
        Assert.Equal(
            "MYSQL_DATABASES has 'trailing ', which is not a database name: it ends with a space, tab or line break (" + DatabaseNames.Rule + ")",
            DatabaseNames.Malformed("MYSQL_DATABASES", "trailing ", DatabaseNames.Problem("trailing ")!));

    [Theory]
    [InlineData("mysql")]
    [InlineData("MySQL")]
    [InlineData("SYS")]
    [InlineData("Performance_Schema")]
    [InlineData("INFORMATION_SCHEMA")]
    public void The_servers_own_databases_are_known_in_any_letter_case(string name) => Assert.True(DatabaseNames.IsSystem(name));

    [Theory]
    [InlineData("mysql_copy")]
    [InlineData("mysql ")]
    [InlineData("my sql")]
    [InlineData("sys2")]
    public void Names_that_only_look_like_the_servers_own_are_user_databases(string name) => Assert.False(DatabaseNames.IsSystem(name));

    [Fact]
    public void A_name_in_a_message_stays_on_one_line_and_its_quotes_are_escaped()
    {
        Assert.Equal("'shop'", DatabaseNames.Show("shop"));
        Assert.Equal(@"'x\nDROP DATABASE victim; --'", DatabaseNames.Show("x\nDROP DATABASE victim; --"));
        Assert.Equal(@"'O\'Brien\\s \u0001 ☃'", DatabaseNames.Show("O'Brien\\s \u0001 ☃"));
    }
}
