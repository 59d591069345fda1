

namespace Serverless.Backup.Testing;

/// <summary>Databases with every kind of content a dump must carry, and the comparison a user would make.</summary>
public static class SampleDatabase
{
    public static async Task CreateAsync(MariaDbServer server, string name, int extraRows = 0)
    {
        await server.ExecuteAsync($"DROP DATABASE IF EXISTS {Quote(name)}; CREATE DATABASE {Quote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;");
        await server.ExecuteAsync(
            """
            CREATE TABLE customers (
              id INT PRIMARY KEY AUTO_INCREMENT,
              name VARCHAR(200) NOT NULL,
              note TEXT NULL,
              avatar VARBINARY(64) NULL,
              blob_data LONGBLOB NULL,
              profile JSON NULL,
              balance DECIMAL(12,2) NOT NULL DEFAULT 0,
              created DATETIME(6) NOT NULL DEFAULT '2026-01-01 00:00:00'
            ) ENGINE=InnoDB;
            CREATE TABLE audit (id INT PRIMARY KEY AUTO_INCREMENT, customer_id INT, action VARCHAR(20), at DATETIME(6)) ENGINE=InnoDB;
            INSERT INTO customers (name, note, avatar, blob_data, profile, balance) VALUES
              ('Zoë Ångström 🚀', 'emoji and accents: ñ ü 漢字', UNHEX('00FF10AB'), UNHEX(REPEAT('DEADBEEF00', 100)), '{"tier": "gold", "tags": ["a", "b"], "n": null}', 10.50),
              ('O''Brien; DROP TABLE x; --', NULL, NULL, NULL, NULL, -3.25),
              ('line\nbreak\ttab\\backslash', '', UNHEX(''), UNHEX('00'), '[]', 0);
            CREATE VIEW rich_customers AS SELECT id, name, balance FROM customers WHERE balance > 0;
            CREATE TRIGGER customers_audit AFTER INSERT ON customers FOR EACH ROW
              INSERT INTO audit (customer_id, action, at) VALUES (NEW.id, 'insert', '2026-01-01');
            CREATE PROCEDURE add_customer(IN p_name VARCHAR(200))
              BEGIN
                INSERT INTO customers (name) VALUES (p_name);
              END;
            CREATE FUNCTION customer_count() RETURNS INT READS SQL DATA RETURN (SELECT COUNT(*) FROM customers);
            CALL add_customer('via procedure');
            """, name);
        if (extraRows > 0)
        {
            await server.ExecuteAsync(
                $"""
                CREATE TABLE filler (id INT PRIMARY KEY AUTO_INCREMENT, payload VARCHAR(255)) ENGINE=InnoDB;
                INSERT INTO filler (payload) SELECT CONCAT('row-', seq, '-', SHA2(seq, 256)) FROM seq_1_to_{extraRows};
                """, name);
        }
    }

    /// <summary>Everything a user compares after a restore: table checksums, row counts, and routine/trigger/view definitions.</summary>
    public static async Task<IReadOnlyList<string>> FingerprintAsync(MariaDbServer server, string name)
    {
        var result = new List<string>();
        var tables = await server.QueryAsync(
            $"SELECT TABLE_NAME FROM information_schema.TABLES WHERE BINARY TABLE_SCHEMA = '{Literal(name)}' AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME");
        foreach (var table in tables.Select(t => t[0]!))
        {
            var checksum = await server.QueryAsync($"CHECKSUM TABLE `{table.Replace("`", "``")}` EXTENDED", name);
            var count = await server.QueryAsync($"SELECT COUNT(*) FROM `{table.Replace("`", "``")}`", name);
            result.Add($"table {table}: checksum {checksum[0][1]} rows {count[0][0]}");
        }
        foreach (var row in await server.QueryAsync(
            $"SELECT ROUTINE_TYPE, ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE BINARY ROUTINE_SCHEMA = '{Literal(name)}' ORDER BY ROUTINE_NAME"))
        {
            result.Add($"{row[0]} {row[1]}: {row[2]}");
        }
        foreach (var row in await server.QueryAsync(
            $"SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE BINARY TRIGGER_SCHEMA = '{Literal(name)}' ORDER BY TRIGGER_NAME"))
        {
            result.Add($"trigger {string.Join(" ", row)}");
        }
        foreach (var row in await server.QueryAsync(
            $"SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE BINARY TABLE_SCHEMA = '{Literal(name)}' ORDER BY TABLE_NAME"))
        {
            // A view's definition names its schema: compare it without.
            result.Add($"view {row[0]}: {row[1]!.Replace($"{Quote(name)}.", "")}");
        }
        var schema = await server.QueryAsync(
            $"SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE BINARY SCHEMA_NAME = '{Literal(name)}'");
        result.Add($"schema: {schema[0][0]} {schema[0][1]}");
        return result;
    }

    /// <summary>A database name as a quoted identifier: any name the server accepts (backticks doubled).</summary>
    public static string Quote(string name) => "`" + name.Replace("`", "``") + "`";

    /// <summary>A database name inside a single-quoted SQL string.</summary>
    public static string Literal(string name) => MariaDbServer.Escape(name);
}
