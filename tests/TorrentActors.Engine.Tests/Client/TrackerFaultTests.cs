using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class TrackerFaultTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_tracker_that_returns_garbage_or_is_down_leaves_the_session_running(bool garbage)
    {
        using var tracker = new GarbageTracker();
        var url = garbage ? $"http://127.0.0.1:{tracker.Port}/announce" : $"http://127.0.0.1:{FreePort.Tcp()}/announce";
        var (data, plain) = TestData.Create("tracked.bin", [("", 300_000)], 16 * 1024);
        using var _ = data;
        var torrent = WithTracker(plain, url);
        await using var pair = await EnginePair.StartAsync(data, torrent);
        var (seeder, leecher, seed, leech) = pair;

        await TransferTests.WaitForAsync(() => leech.TrackerError is not null, TimeSpan.FromSeconds(60), () => $"requests {tracker.Requests}");
        Assert.Equal(TorrentState.Downloading, leech.Status.State);
        Assert.Null(leech.Status.Error);
        Assert.Equal(leech.TrackerError, leech.Status.TrackerError);
        if (garbage)
        {
            Assert.True(tracker.Requests >= 1);
        }

        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(90), () => leech.Status.ToString());
        TransferTests.AssertSameFiles(torrent, data.Seed, Path.Combine(data.Root, "leech"));
    }

    internal static Torrent WithTracker(Torrent torrent, string url)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteString("announce");
        writer.WriteString(url);
        writer.WriteString("info");
        writer.WriteRaw(torrent.InfoBytes.Span);
        writer.WriteEnd();
        return Torrent.Parse(buffer.WrittenMemory);
    }

    /// <summary>Answers every HTTP request with 200 and a body that is not bencode.</summary>
    private sealed class GarbageTracker : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _requests;

        public GarbageTracker()
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(ServeAsync);
        }

        public int Port { get; }

        public int Requests => Volatile.Read(ref _requests);

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    var buffer = new byte[4096];
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        continue;
                    }

                    Interlocked.Increment(ref _requests);
                    var reply = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot-bcode");
                    await stream.WriteAsync(reply, _stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _loop.Wait(TimeSpan.FromSeconds(5));
            _stop.Dispose();
        }
    }
}
