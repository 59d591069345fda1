namespace Serverless.Backup.Runner.Privileges;

/// <summary>MariaDB or MySQL, and which version: what it takes to read routines differs between them.</summary>
public sealed record ServerKind(bool MariaDb, Version Version)
{
    /// <summary>From VERSION(), such as `10.11.19-MariaDB-0+deb12u1`, `8.0.36` or `5.7.44-log`.</summary>
    public static ServerKind Parse(string version)
    {
        var digits = new string(version.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').ToArray()).Trim('.');
        var parts = digits.Split('.', StringSplitOptions.RemoveEmptyEntries).Select(p => int.TryParse(p, out var n) ? n : 0).ToList();
        while (parts.Count < 3)
        {
            parts.Add(0);
        }
        return new(version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase), new Version(parts[0], parts[1], parts[2]));
    }

    /// <summary>MariaDB 11.3 has a privilege of its own for reading routines' definitions.</summary>
    public bool HasShowCreateRoutine => MariaDb && Version >= new Version(11, 3);

    /// <summary>MySQL 8.0.20 has SHOW_ROUTINE, a global privilege for reading every routine's definition.</summary>
    public bool HasShowRoutine => !MariaDb && Version >= new Version(8, 0, 20);

    /// <summary>mysql.proc holds routines on MariaDB and on MySQL before 8.0: SELECT on it shows their definitions.</summary>
    public bool HasProcTable => MariaDb || Version.Major < 8;

    /// <summary>MySQL 8 shows the privileges of the enabled roles only when SHOW GRANTS names them (USING).</summary>
    public bool NeedsRolesNamed => !MariaDb && Version.Major >= 8;

    public override string ToString() => $"{(MariaDb ? "MariaDB" : "MySQL")} {Version}";
}
