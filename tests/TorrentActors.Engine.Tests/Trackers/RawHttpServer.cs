using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TorrentActors.Engine.Tests.Trackers;

/// <summary>
/// A minimal HTTP/1.1 server on 127.0.0.1:0 over a raw TcpListener: for each connection it reads the request head,
/// records the request line and writes whatever bytes the test's handler returns (null: never answer; empty: reset), then closes.
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, int, byte[]?> _handler;
    private readonly Lock _gate = new();
    private readonly List<string> _requestLines = [];
    private readonly List<string> _heads = [];
    private readonly Task _accepting;

    public RawHttpServer(Func<string, int, byte[]?> handler)
    {
        _handler = handler;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public Uri Announce => new($"http://127.0.0.1:{Port}/announce");

    public IReadOnlyList<string> RequestLines
    {
        get
        {
            lock (_gate)
            {
                return _requestLines.ToArray();
            }
        }
    }

    /// <summary>Each request's head: request line and headers.</summary>
    public IReadOnlyList<string> Heads
    {
        get
        {
            lock (_gate)
            {
                return _heads.ToArray();
            }
        }
    }

    public static byte[] Ok(byte[] body)
    {
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        return [.. head, .. body];
    }

    public static byte[] Ok(string body) => Ok(Encoding.Latin1.GetBytes(body));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && head.Length < 65536)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.Latin1.GetString(buffer, 0, read));
                }

                var requestLine = head.ToString()[..head.ToString().IndexOf("\r\n", StringComparison.Ordinal)];
                int index;
                lock (_gate)
                {
                    index = _requestLines.Count;
                    _requestLines.Add(requestLine);
                    _heads.Add(head.ToString());
                }

                var reply = _handler(requestLine, index);
                if (reply is null)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token); // hang until the test ends
                    return;
                }

                if (reply.Length == 0)
                {
                    client.Client.LingerState = new LingerOption(true, 0); // close with a reset
                    return;
                }

                await stream.WriteAsync(reply, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // the client went away or the test ended
            }
        }
    }
}
