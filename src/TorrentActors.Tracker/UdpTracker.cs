using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace TorrentActors.Tracker;

/// <summary>The BEP 15 listener: a few receive loops on one socket, each with its own buffers; no packet can end a loop.</summary>
internal sealed partial class UdpTracker : IAsyncDisposable
{
    private const int Loops = 2;

    private readonly Socket _socket;
    private readonly UdpTrackerProtocol _protocol;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    public UdpTracker(IPEndPoint bind, UdpTrackerProtocol protocol, ILogger logger)
    {
        _protocol = protocol;
        _logger = logger;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bind.AddressFamily == AddressFamily.InterNetworkV6 && bind.Address.Equals(IPAddress.IPv6Any))
        {
            _socket.DualMode = true;
        }

        _socket.Bind(bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _loops = Enumerable.Range(0, Loops)
            .Select(_ => Task.Factory.StartNew(ReceiveLoop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))
            .ToArray();
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// One dedicated thread per loop doing blocking receive/handle/send: no async hop per datagram, which is what
    /// bounds a UDP tracker's rate. Closing the socket ends the blocking receive.
    /// </summary>
    private void ReceiveLoop()
    {
        var request = new byte[2048];
        var reply = new byte[UdpTrackerProtocol.MaxReplyLength];
        var address = new SocketAddress(_socket.AddressFamily);
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var received = _socket.ReceiveFrom(request, SocketFlags.None, address);
                if (!TryReadSource(address, out var source))
                {
                    continue;
                }

                var length = _protocol.Handle(request.AsSpan(0, received), source, reply);
                if (length > 0)
                {
                    _socket.SendTo(reply.AsSpan(0, length), SocketFlags.None, address);
                }
            }
            catch (ObjectDisposedException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // ICMP errors from earlier sends, buffer pressure...: never fatal for the loop.
                LogSocketError(e.SocketErrorCode);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
            {
                LogPacketError(e);
            }
        }
    }

    /// <summary>Reads family, port and address straight from the sockaddr bytes (no allocation per packet).</summary>
    internal static bool TryReadSource(SocketAddress address, out PeerEndpoint source)
    {
        var bytes = address.Buffer.Span;
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (address.Family == AddressFamily.InterNetwork && address.Size >= 8)
        {
            source = PeerEndpoint.FromBytes(bytes.Slice(4, 4), port);
            return true;
        }

        if (address.Family == AddressFamily.InterNetworkV6 && address.Size >= 24)
        {
            source = PeerEndpoint.FromBytes(bytes.Slice(8, 16), port);
            return true;
        }

        source = default;
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP tracker socket error {Error}")]
    private partial void LogSocketError(SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "UDP tracker dropped a packet it could not handle")]
    private partial void LogPacketError(Exception exception);
}
