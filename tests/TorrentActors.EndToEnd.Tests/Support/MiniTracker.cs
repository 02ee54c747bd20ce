using System.Text;
using TorrentActors.Actors.Tests.Support;

namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>An HTTP tracker stand-in on 127.0.0.1:0 that records every request line and answers with no peers.</summary>
public sealed class MiniTracker : IAsyncDisposable
{
    private readonly List<string> _requests = [];
    private readonly MiniHttpServer _server;

    public MiniTracker()
    {
        _server = new MiniHttpServer(async (head, stream, ct) =>
        {
            lock (_requests)
            {
                _requests.Add(head.Split("\r\n")[0]);
            }

            var body = "d8:intervali5e12:min intervali5e5:peers0:e"u8.ToArray();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), ct);
            await stream.WriteAsync(body, ct);
        });
    }

    public string AnnounceUrl => _server.Url("/announce").ToString();

    public IReadOnlyList<string> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(Requests))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the tracker did not see the expected requests; it saw: " + string.Join(" | ", Requests));
            }

            await Task.Delay(100);
        }
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
