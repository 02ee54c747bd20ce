using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TorrentActors.Actors.Tests.Support;

/// <summary>A tiny HTTP/1.1 server on 127.0.0.1:0 whose answer the test writes as raw bytes.</summary>
public sealed class MiniHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, Stream, CancellationToken, Task> _respond;
    private readonly Task _loop;
    private readonly List<TcpClient> _clients = [];

    public MiniHttpServer(Func<Stream, CancellationToken, Task> respond)
        : this((_, stream, ct) => respond(stream, ct))
    {
    }

    /// <summary>The handler also gets the request head (request line and headers).</summary>
    public MiniHttpServer(Func<string, Stream, CancellationToken, Task> respond)
    {
        _respond = respond;
        _listener.Start();
        _loop = AcceptLoopAsync();
    }

    public Uri Url(string path) => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}{path}");

    public static Func<Stream, CancellationToken, Task> Respond(int status, byte[] body, bool chunked = false) => async (stream, ct) =>
    {
        var head = chunked
            ? $"HTTP/1.1 {status} X\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            : $"HTTP/1.1 {status} X\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), ct);
        if (chunked)
        {
            for (var offset = 0; offset < body.Length; offset += 8192)
            {
                var size = Math.Min(8192, body.Length - offset);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{size:x}\r\n"), ct);
                await stream.WriteAsync(body.AsMemory(offset, size), ct);
                await stream.WriteAsync("\r\n"u8.ToArray(), ct);
            }

            await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), ct);
        }
        else
        {
            await stream.WriteAsync(body, ct);
        }
    };

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (_clients)
            {
                _clients.Add(client);
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        try
        {
            var buffer = new byte[16 * 1024];
            var filled = 0;
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                if (Encoding.ASCII.GetString(buffer, 0, filled).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    break;
                }
            }

            await _respond(Encoding.ASCII.GetString(buffer, 0, filled), stream, _stop.Token);
            await stream.FlushAsync(_stop.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client went away (a fetcher that hit its limit closes early): nothing to answer.
            return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop;
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }
}
