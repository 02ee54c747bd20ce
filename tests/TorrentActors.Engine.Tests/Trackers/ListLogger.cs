using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TorrentActors.Engine.Tests.Trackers;

/// <summary>An <see cref="ILogger"/> that keeps every entry, formatted as the console logger would print its message.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => _entries.ToArray();

    public IReadOnlyList<string> Warnings => At(LogLevel.Warning);

    public IReadOnlyList<string> At(LogLevel level) => Entries.Where(e => e.Level == level).Select(e => e.Message).ToArray();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue((logLevel, formatter(state, exception)));
}
