using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace TorrentActors.Node.Hosting;

/// <summary>How every command of the executable logs: to stderr (stdout is the protocol), one line per event.</summary>
internal static class NodeLogging
{
    /// <summary>
    /// Replaces the providers with the console on stderr and <see cref="OneLineConsoleFormatter"/>, writing events at
    /// <paramref name="minimum"/> and above; the per-category levels of <paramref name="logging"/> (the <c>Logging</c>
    /// section) can raise the level of a category, not lower it.
    /// </summary>
    public static ILoggingBuilder AddNodeConsole(this ILoggingBuilder builder, LogLevel minimum, IConfiguration? logging = null)
    {
        builder.ClearProviders();
        if (logging is not null)
        {
            builder.AddConfiguration(logging);
        }

        builder.SetMinimumLevel(minimum);
        builder.AddConsole(options =>
        {
            options.FormatterName = OneLineConsoleFormatter.FormatterName;
            options.LogToStandardErrorThreshold = LogLevel.Trace;
        });
        builder.AddConsoleFormatter<OneLineConsoleFormatter, ConsoleFormatterOptions>();
        // The minimum is the default level (a Default in the Logging section gives way to it), and a category the
        // section sets lower is raised to it: --log-level warning hides every info line.
        builder.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            for (var i = 0; i < options.Rules.Count; i++)
            {
                if (options.Rules[i] is { LogLevel: { } level } rule && (rule.CategoryName is null || level < minimum))
                {
                    options.Rules[i] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, minimum, rule.Filter);
                }
            }
        });
        return builder;
    }

}
