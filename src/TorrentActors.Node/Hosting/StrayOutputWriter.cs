using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// What the node puts in place of <see cref="Console.Out"/> (stdout is the stdout actor's alone): every line written
/// to it becomes one log line on stderr in <see cref="OneLineConsoleFormatter"/>'s shape. Akka's fallback logger
/// writes there once the actor system's loggers have stopped (<c>[DEBUG][date][Thread 0025][EventStream] ...</c>);
/// its level and source become the line's level and category.
/// </summary>
internal sealed partial class StrayOutputWriter(TextWriter stderr, LogLevel minimum) : TextWriter
{
    private readonly StringBuilder _line = new();

    public override Encoding Encoding => stderr.Encoding;

    [GeneratedRegex(@"^\[(?<level>DEBUG|INFO|WARNING|ERROR)\]\[[^\]]*\]\[Thread \d+\]\[(?<source>[^\]]*)\] ?(?<message>.*)$", RegexOptions.Singleline)]
    private static partial Regex AkkaLine();

    public override void Write(char value)
    {
        lock (_line)
        {
            if (value == '\n')
            {
                Flush(_line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? string.Empty)
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_line)
        {
            Write(value);
            Write('\n');
        }
    }

    private void Flush(string line)
    {
        if (line.Length == 0)
        {
            return;
        }

        var (level, category, message) = AkkaLine().Match(line) is { Success: true } akka
            ? (LevelOf(akka.Groups["level"].Value), "Akka." + akka.Groups["source"].Value.Split(' ', 2)[0], akka.Groups["message"].Value)
            : (LogLevel.Information, "Console", line);
        if (level >= minimum && minimum != LogLevel.None)
        {
            stderr.WriteLine(OneLineConsoleFormatter.Format(DateTime.UtcNow, level, category, message, exception: null));
        }
    }

    private static LogLevel LevelOf(string akkaLevel) => akkaLevel switch
    {
        "DEBUG" => LogLevel.Debug,
        "INFO" => LogLevel.Information,
        "WARNING" => LogLevel.Warning,
        _ => LogLevel.Error,
    };
}
