using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace TorrentActors.TestSupport;

/// <summary>
/// The slowloris of the admission tests: many sockets from one address to a peer port, some sending a whole handshake
/// and then nothing, the rest only its first 30 bytes. They stay open until disposed. Refused or closed connections
/// (the defence working) are not errors.
/// </summary>
public sealed class HostileSockets : IAsyncDisposable
{
    private readonly ConcurrentBag<Socket> _sockets = [];

    private HostileSockets()
    {
    }

    /// <param name="handshake">The bytes of the whole handshake socket <c>i</c> sends (a peer id of its own).</param>
    public static async Task<HostileSockets> OpenAsync(IPAddress from, IPEndPoint target, int idle, int halfOpen, Func<int, byte[]> handshake)
    {
        var hostile = new HostileSockets();
        await Parallel.ForEachAsync(Enumerable.Range(0, idle + halfOpen), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            hostile._sockets.Add(socket);
            socket.Bind(new IPEndPoint(from, 0));
            var hello = handshake(i);
            try
            {
                await socket.ConnectAsync(target, ct);
                await socket.SendAsync(i < idle ? hello : hello.AsMemory(0, 30), ct);
            }
            catch (SocketException)
            {
                // refused or closed by the peer: the defence working
            }
        });
        return hostile;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
