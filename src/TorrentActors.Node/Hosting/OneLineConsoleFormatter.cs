using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// One line per log event: <c>2026-12-01T17:00:00.000Z info Category: message exception</c>, UTC timestamp with
/// milliseconds; line breaks inside the message or the exception become <c> | </c>, so a reader can split on lines.
/// </summary>
internal sealed class OneLineConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "torrentactors-one-line";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write(Format(DateTime.UtcNow, logEntry.LogLevel, logEntry.Category, message, logEntry.Exception));
        textWriter.Write('\n');
    }

    /// <summary>One event as its line, without the line break.</summary>
    internal static string Format(DateTime utc, LogLevel level, string category, string message, Exception? exception)
    {
        var line = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        line.Write(utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        line.Write(' ');
        line.Write(LevelName(level));
        line.Write(' ');
        line.Write(category);
        line.Write(": ");
        WriteFlat(line, message);
        if (exception is not null)
        {
            line.Write(' ');
            WriteFlat(line, exception.ToString());
        }

        return line.ToString();
    }

    internal static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "error",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private static void WriteFlat(TextWriter writer, string text)
    {
        var rest = text.AsSpan().TrimEnd();
        int at;
        while ((at = rest.IndexOfAny('\r', '\n')) >= 0)
        {
            writer.Write(rest[..at].TrimEnd());
            writer.Write(" | ");
            rest = rest[at..].TrimStart("\r\n \t");
        }

        writer.Write(rest);
    }
}
