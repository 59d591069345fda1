using System.Text;

namespace Serverless.Backup.Runner.Processes;

/// <summary>Keeps the last lines a child process wrote (its stderr), for error messages.</summary>
public sealed class OutputTail(int maxLines = 20)
{
    private readonly Queue<string> _lines = new();
    private readonly Lock _lock = new();

    public void Add(string line)
    {
        lock (_lock)
        {
            _lines.Enqueue(line.Length > 500 ? line[..500] + "…" : line);
            while (_lines.Count > maxLines)
            {
                _lines.Dequeue();
            }
        }
    }

    public bool Contains(string text)
    {
        lock (_lock)
        {
            return _lines.Any(l => l.Contains(text, StringComparison.OrdinalIgnoreCase));
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            var sb = new StringBuilder();
            foreach (var line in _lines.Where(l => l.Trim().Length > 0))
            {
                if (sb.Length > 0)
                {
                    sb.Append(" | ");
                }
                sb.Append(line.Trim());
            }
            return sb.Length == 0 ? "(no output)" : sb.ToString();
        }
    }
}
