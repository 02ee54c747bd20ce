using System.Net;
using System.Net.Sockets;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>Free loopback ports, found by binding port 0 and releasing it.</summary>
public static class FreePort
{
    /// <summary>A port free for TCP on 127.0.0.1.</summary>
    public static int Tcp()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    /// <summary>A port free for both TCP and UDP on 127.0.0.1 (for trackers and peers that use both).</summary>
    public static int TcpAndUdp()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // Try another one.
            }
        }

        throw new InvalidOperationException("no port free for both TCP and UDP after 50 attempts");
    }

    /// <summary>Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task WaitForListenerAsync(int port, TimeSpan timeout, ExternalProcess? owner = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && owner?.HasExited != true)
            {
                await Task.Delay(100);
            }
            catch (OperationCanceledException) when (DateTime.UtcNow < deadline && owner?.HasExited != true)
            {
                // Retry until the deadline.
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                throw new TimeoutException($"nothing listens on 127.0.0.1:{port}: {e.Message}\n{owner?.Describe()}", e);
            }
        }
    }
}
