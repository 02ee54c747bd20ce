using System.Text;
using System.Threading.Channels;

namespace TorrentActors.Actors.Tests.Support;

/// <summary>A stdout stand-in: every completed line is queued for the test to await.</summary>
public sealed class LineCapture : TextWriter
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _current = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                _lines.Writer.TryWrite(_current.ToString());
                _current.Clear();
            }
            else
            {
                _current.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "")
        {
            Write(c);
        }
    }

    /// <summary>The next line, or a failure naming what was expected when none comes in time.</summary>
    public async Task<string> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no stdout line arrived in time");
        }
    }

    /// <summary>Reads lines until one matches, returning it; fails after the timeout.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        var seen = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            var line = await NextAsync(deadline - DateTime.UtcNow);
            if (match(line))
            {
                return line;
            }

            seen.Add(line);
        }

        throw new TimeoutException("no matching line; saw: " + string.Join(" | ", seen));
    }

    public bool TryRead(out string? line) => _lines.Reader.TryRead(out line);
}
