using System.Net;
using System.Net.Sockets;

namespace TorrentActors.TestSupport;

/// <summary>Waiting for a program to listen.</summary>
public static class Listener
{
    /// <summary>
    /// Waits until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>; gives up at the deadline,
    /// or as soon as <paramref name="ownerExited"/> says the program that should listen is gone, with
    /// <paramref name="describe"/>'s text (its log) in the exception.
    /// </summary>
    public static async Task WaitForAsync(int port, TimeSpan timeout, Func<bool>? ownerExited = null, Func<string>? describe = null)
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
            catch (SocketException) when (DateTime.UtcNow < deadline && ownerExited?.Invoke() != true)
            {
                await Task.Delay(100);
            }
            catch (OperationCanceledException) when (DateTime.UtcNow < deadline && ownerExited?.Invoke() != true)
            {
                // Retry until the deadline.
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                throw new TimeoutException($"nothing listens on 127.0.0.1:{port}: {e.Message}\n{describe?.Invoke()}", e);
            }
        }
    }

    /// <summary>As above, for a port <paramref name="owner"/> should listen on.</summary>
    public static Task WaitForAsync(int port, TimeSpan timeout, TestProcess owner) =>
        WaitForAsync(port, timeout, () => owner.HasExited, owner.Describe);
}
