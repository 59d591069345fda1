using Serverless.Backup.Core.Environment;

namespace Serverless.Backup.Core.Tests.Environment;

/// <summary>A check's SQL is one reading SELECT: nothing that could leave the read-only transaction or write a file.</summary>
public sealed class VerifyCheckSqlTests
{
    [Theory]
    [InlineData("SELECT COUNT(*) FROM orders")]
    [InlineData("select count(*) from orders;")]
    [InlineData("SELECT ';' AS semicolon FROM orders WHERE note <> 'a;b'")]
    [InlineData("SELECT 'it''s; fine', \"x;y\", `odd;name` FROM t")]
    [InlineData("SELECT 1 -- a comment; with a semicolon\n")]
    [InlineData("SELECT /* ; */ 1")]
    [InlineData("WITH recent AS (SELECT * FROM orders) SELECT COUNT(*) FROM recent")]
    [InlineData("SELECT 'back\\'slash;' FROM t")]
    public void A_single_reading_select_is_accepted(string sql) => Assert.Null(VerifyCheck.SqlProblem(sql));

    [Theory]
    [InlineData("SET SESSION TRANSACTION READ WRITE; DROP DATABASE shop; SELECT 1", "more than one statement")]
    [InlineData("SELECT 1; DELETE FROM orders", "more than one statement")]
    [InlineData("SELECT 1;\nSELECT 2", "more than one statement")]
    [InlineData("DELETE FROM orders", "not a SELECT")]
    [InlineData("COMMIT", "not a SELECT")]
    [InlineData("CALL wipe()", "not a SELECT")]
    [InlineData("SELECT * FROM orders INTO OUTFILE '/tmp/x'", "INTO")]
    [InlineData("SELECT 1 INTO @x", "INTO")]
    [InlineData("/*!50000 DROP DATABASE shop */ SELECT 1", "executable comment")]
    [InlineData("SELECT 1 /*M! ; */", "executable comment")]
    [InlineData("SELECT 'unclosed", "unclosed quote")]
    [InlineData("SELECT 1 /* unclosed", "unclosed comment")]
    public void Anything_else_is_refused_saying_why(string sql, string why) => Assert.Contains(why, VerifyCheck.SqlProblem(sql));

    [Fact]
    public void A_check_with_such_sql_is_a_problem_naming_the_check() =>
        Assert.Contains("check 'wipe'", new VerifyCheck { Name = "wipe", Database = "shop", Sql = "SELECT 1; DROP DATABASE shop", Min = 1 }.Problem());
}
