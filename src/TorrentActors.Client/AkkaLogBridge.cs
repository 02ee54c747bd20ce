using Akka.Actor;
using Akka.Event;
using Akka.Hosting.Logging;
using Microsoft.Extensions.Logging;
using AkkaLogLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace TorrentActors.Client;

/// <summary>
/// Akka.Hosting's bridge from Akka's log events to Microsoft.Extensions.Logging, writing each event as its bare
/// message under the category of the class that logged it (<c>TorrentActors.Actors.Making.MakerActor</c>), with the
/// event's exception attached. The stock bridge writes every event under <c>Akka.Actor.ActorSystem</c> with Akka's
/// own <c>[INFO][date][Thread][source]</c> line as the message and the exception appended to it as text.
/// </summary>
public sealed class AkkaLogBridge : LoggerFactoryLogger
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<Type, ILogger> _loggers = [];
    private readonly Dictionary<string, ILogger> _sourceLoggers = new(StringComparer.Ordinal);

    public AkkaLogBridge()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        _factory = setup.HasValue
            ? setup.Value.LoggerFactory
            : throw new InvalidOperationException("the Akka log bridge needs the host's logger factory (an ILoggerFactory in the Akka.Hosting container)");
    }

    protected override void Log(LogEvent log, ActorPath path)
    {
        var logger = LoggerFor(log);

        var level = ToLogLevel(log.LogLevel());
        if (logger.IsEnabled(level))
        {
            logger.Log(level, default, log.Message?.ToString() ?? string.Empty, log.Cause, static (message, _) => message);
        }
    }

    private ILogger LoggerFor(LogEvent log)
    {
        if (log.LogClass == typeof(DummyClassForStringSources))
        {
            var category = SourceCategory(log.LogSource);
            if (!_sourceLoggers.TryGetValue(category, out var sourceLogger))
            {
                sourceLogger = _factory.CreateLogger(category);
                _sourceLoggers[category] = sourceLogger;
            }

            return sourceLogger;
        }

        if (!_loggers.TryGetValue(log.LogClass, out var logger))
        {
            logger = _factory.CreateLogger(CategoryOf(log.LogClass));
            _loggers[log.LogClass] = logger;
        }

        return logger;
    }

    /// <summary>The class's full name without generic arguments (those carry assembly names with spaces).</summary>
    internal static string CategoryOf(Type type)
    {
        var name = type.FullName ?? type.Name;
        var arguments = name.IndexOf('[', StringComparison.Ordinal);
        return arguments < 0 ? name : name[..arguments];
    }

    /// <summary>
    /// Events logged under a string source rather than a class (Akka's <c>remoting (akka://system)</c>) get
    /// <c>Akka.</c> and the source's first word: <c>Akka.remoting</c>; an actor path as source gives <c>Akka.Actor</c>.
    /// </summary>
    internal static string SourceCategory(string? source)
    {
        var word = (source ?? string.Empty).Split(' ', 2)[0];
        if (word.Length == 0 || word.Contains("://", StringComparison.Ordinal))
        {
            return "Akka.Actor";
        }

        return "Akka." + new string(word.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').ToArray());
    }

    internal static LogLevel ToLogLevel(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogLevel.Debug,
        AkkaLogLevel.InfoLevel => LogLevel.Information,
        AkkaLogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    /// <summary>The Akka level that lets through every event at <paramref name="minimum"/> or above (Akka has no trace, nor off).</summary>
    public static AkkaLogLevel ToAkkaLevel(LogLevel minimum) => minimum switch
    {
        LogLevel.Trace or LogLevel.Debug => AkkaLogLevel.DebugLevel,
        LogLevel.Information => AkkaLogLevel.InfoLevel,
        LogLevel.Warning => AkkaLogLevel.WarningLevel,
        _ => AkkaLogLevel.ErrorLevel,
    };
}
