using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Trackers;

/// <summary>
/// UDP tracker protocol (BEP 15): connect, then announce or scrape with the connection id, which is kept
/// for one minute per tracker address. Each request is retransmitted after <c>BaseTimeout·2^n</c> for
/// n = 0..<see cref="MaxRetransmits"/>, then the tracker counts as unreachable. Packets from the tracker
/// that are short, of another transaction or another action are ignored while waiting.
/// A connection id belongs to the socket that obtained it (trackers may tie it to our port), so sockets with a
/// live id are kept for reuse, a few per tracker, and closed when their id expires.
/// </summary>
public sealed class UdpTrackerClient : ITrackerClient, IDisposable
{
    public const long ProtocolId = 0x41727101980;

    /// <summary>Scrape carries at most this many infohashes per packet (BEP 15).</summary>
    public const int MaxScrapeHashes = 74;

    internal const int ActionConnect = 0;
    internal const int ActionAnnounce = 1;
    internal const int ActionScrape = 2;
    internal const int ActionError = 3;

    internal const int ConnectRequestLength = 16;
    internal const int AnnounceRequestLength = 98;

    private const int MaxDatagram = 65536;
    private const int MaxIdleSessions = 32;
    private const int MaxPooledTrackers = 256;
    private static readonly TimeSpan ConnectionIdLifetime = TimeSpan.FromMinutes(1);

    private readonly TimeProvider _time;
    private readonly uint _key;
    private readonly ConcurrentDictionary<IPEndPoint, ConcurrentBag<Session>> _idle = new();
    private int _idleCount;
    private bool _disposed;

    public UdpTrackerClient(TimeProvider? time = null, uint? key = null)
    {
        _time = time ?? TimeProvider.System;
        _key = key ?? (uint)Random.Shared.NextInt64(0, 1L << 32);
    }

    /// <summary>The first wait for a reply (BEP 15 says 15 s); each retransmission doubles it.</summary>
    public TimeSpan BaseTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How many times a request is sent again before giving up (BEP 15 allows up to 8; we stop sooner).</summary>
    public int MaxRetransmits { get; init; } = 2;

    public async Task<AnnounceResponse> AnnounceAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await AnnounceCoreAsync(tracker, request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not TrackerException && !cancellationToken.IsCancellationRequested)
        {
            throw TrackerException.Unexpected(tracker.OriginalString, e);
        }
    }

    public async Task<IReadOnlyDictionary<InfoHash, ScrapeEntry>> ScrapeAsync(Uri tracker, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken)
    {
        try
        {
            return await ScrapeCoreAsync(tracker, infoHashes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not TrackerException && !cancellationToken.IsCancellationRequested)
        {
            throw TrackerException.Unexpected(tracker.OriginalString, e);
        }
    }

    private async Task<AnnounceResponse> AnnounceCoreAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken)
    {
        var endpoint = await ResolveAsync(tracker, cancellationToken).ConfigureAwait(false);
        var session = Rent(endpoint);
        var reusable = false;
        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        try
        {
            var connectionId = await GetConnectionIdAsync(session, endpoint, buffer, cancellationToken).ConfigureAwait(false);
            var transactionId = NewTransactionId();
            var packet = new byte[AnnounceRequestLength];
            WriteAnnounce(packet, connectionId, transactionId, request, _key);
            var length = await ExchangeAsync(session.Socket, endpoint, packet, transactionId, ActionAnnounce, 20, buffer, cancellationToken).ConfigureAwait(false);
            var ipv6 = endpoint.AddressFamily == AddressFamily.InterNetworkV6 && !endpoint.Address.IsIPv4MappedToIPv6;
            var response = ParseAnnounceReply(buffer.AsSpan(0, length), ipv6);
            reusable = true;
            return response;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Release(endpoint, session, reusable);
        }
    }

    private async Task<IReadOnlyDictionary<InfoHash, ScrapeEntry>> ScrapeCoreAsync(Uri tracker, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken)
    {
        var endpoint = await ResolveAsync(tracker, cancellationToken).ConfigureAwait(false);
        var session = Rent(endpoint);
        var reusable = false;
        var buffer = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        try
        {
            var result = new Dictionary<InfoHash, ScrapeEntry>();
            for (var start = 0; start < infoHashes.Count; start += MaxScrapeHashes)
            {
                var chunk = infoHashes.Skip(start).Take(MaxScrapeHashes).ToArray();
                var connectionId = await GetConnectionIdAsync(session, endpoint, buffer, cancellationToken).ConfigureAwait(false);
                var transactionId = NewTransactionId();
                var packet = new byte[16 + (InfoHash.Length * chunk.Length)];
                WriteScrape(packet, connectionId, transactionId, chunk);
                var length = await ExchangeAsync(session.Socket, endpoint, packet, transactionId, ActionScrape, 8, buffer, cancellationToken).ConfigureAwait(false);
                ParseScrapeReply(buffer.AsSpan(0, length), chunk, result);
            }

            reusable = true;
            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Release(endpoint, session, reusable);
        }
    }

    /// <summary>Connect request: protocol id (8), action 0 (4), transaction id (4), all big-endian.</summary>
    internal static void WriteConnect(Span<byte> destination, int transactionId)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, ProtocolId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionConnect);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
    }

    /// <summary>
    /// Announce request, 98 bytes: connection id (8), action 1 (4), transaction id (4), info_hash (20), peer_id (20),
    /// downloaded (8), left (8), uploaded (8), event (4: 0 none, 1 completed, 2 started, 3 stopped), IP (4, 0 = sender),
    /// key (4), num_want (4), port (2).
    /// </summary>
    internal static void WriteAnnounce(Span<byte> destination, long connectionId, int transactionId, AnnounceRequest request, uint key)
    {
        if (request.PeerId.Length != 20)
        {
            throw new ArgumentException($"A peer id is 20 bytes, not {request.PeerId.Length}.", nameof(request));
        }

        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionAnnounce);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
        request.InfoHash.Span.CopyTo(destination[16..]);
        request.PeerId.Span.CopyTo(destination[36..]);
        BinaryPrimitives.WriteInt64BigEndian(destination[56..], Math.Max(0, request.Downloaded));
        BinaryPrimitives.WriteInt64BigEndian(destination[64..], Math.Max(0, request.Left));
        BinaryPrimitives.WriteInt64BigEndian(destination[72..], Math.Max(0, request.Uploaded));
        BinaryPrimitives.WriteInt32BigEndian(destination[80..], request.Event switch
        {
            AnnounceEvent.Completed => 1,
            AnnounceEvent.Started => 2,
            AnnounceEvent.Stopped => 3,
            _ => 0,
        });
        BinaryPrimitives.WriteUInt32BigEndian(destination[84..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(destination[88..], key);
        BinaryPrimitives.WriteInt32BigEndian(destination[92..], request.NumWant);
        BinaryPrimitives.WriteUInt16BigEndian(destination[96..], (ushort)request.Port);
    }

    /// <summary>Scrape request: connection id (8), action 2 (4), transaction id (4), then 20 bytes per infohash.</summary>
    internal static void WriteScrape(Span<byte> destination, long connectionId, int transactionId, IReadOnlyList<InfoHash> infoHashes)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], ActionScrape);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], transactionId);
        for (var i = 0; i < infoHashes.Count; i++)
        {
            infoHashes[i].Span.CopyTo(destination[(16 + (i * InfoHash.Length))..]);
        }
    }

    /// <summary>Announce reply: action (4), transaction id (4), interval (4), leechers (4), seeders (4), then peers (6 or 18 bytes each).</summary>
    internal static AnnounceResponse ParseAnnounceReply(ReadOnlySpan<byte> reply, bool ipv6)
    {
        if (reply.Length < 20)
        {
            throw new TrackerException(TrackerFailureKind.BadReply, $"UDP announce reply of {reply.Length} bytes is shorter than 20.");
        }

        var interval = TrackerIntervals.Clamp(BinaryPrimitives.ReadUInt32BigEndian(reply[8..])) ?? TrackerIntervals.Default;
        var leechers = BinaryPrimitives.ReadInt32BigEndian(reply[12..]);
        var seeders = BinaryPrimitives.ReadInt32BigEndian(reply[16..]);
        var peers = new List<IPEndPoint>();
        if (ipv6)
        {
            CompactPeers.ReadIPv6(reply[20..], peers);
        }
        else
        {
            CompactPeers.ReadIPv4(reply[20..], peers);
        }

        return new AnnounceResponse(
            interval,
            null,
            HttpTrackerClient.Distinct(peers),
            null,
            seeders >= 0 ? seeders : null,
            leechers >= 0 ? leechers : null,
            null);
    }

    /// <summary>Scrape reply: action (4), transaction id (4), then seeders, completed, leechers (4 each) per infohash, in request order.</summary>
    internal static void ParseScrapeReply(ReadOnlySpan<byte> reply, IReadOnlyList<InfoHash> infoHashes, IDictionary<InfoHash, ScrapeEntry> result)
    {
        var body = reply[8..];
        for (var i = 0; i < infoHashes.Count && ((i + 1) * 12) <= body.Length; i++)
        {
            var entry = body.Slice(i * 12, 12);
            result[infoHashes[i]] = new ScrapeEntry(
                Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(entry)),
                Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(entry[4..])),
                Math.Max(0, BinaryPrimitives.ReadInt32BigEndian(entry[8..])));
        }
    }

    private static int NewTransactionId() => Random.Shared.Next(int.MinValue, int.MaxValue);

    private static Socket Open(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Connected: the kernel drops datagrams from anyone else and reports ICMP "port unreachable" as ConnectionRefused.
            socket.Connect(endpoint);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new TrackerException(TrackerFailureKind.Unreachable, $"Cannot open a UDP socket to tracker {endpoint}: {e.Message}", e);
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(Uri tracker, CancellationToken cancellationToken)
    {
        if (tracker.Port is <= 0 or > 65535)
        {
            throw new TrackerException(TrackerFailureKind.BadUrl, $"UDP tracker {tracker} has no port.");
        }

        if (IPAddress.TryParse(tracker.DnsSafeHost, out var literal))
        {
            return new IPEndPoint(literal, tracker.Port);
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(tracker.DnsSafeHost, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new TrackerException(TrackerFailureKind.BadUrl, $"UDP tracker host '{tracker.DnsSafeHost}' is not a host name: {e.Message}", e);
        }
        catch (SocketException e)
        {
            throw new TrackerException(TrackerFailureKind.Unreachable, $"Cannot resolve UDP tracker host {tracker.DnsSafeHost}: {e.Message}", e);
        }

        var address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6)
            ?? throw new TrackerException(TrackerFailureKind.Unreachable, $"UDP tracker host {tracker.DnsSafeHost} has no address.");
        return new IPEndPoint(address, tracker.Port);
    }

    private async Task<long> GetConnectionIdAsync(Session session, IPEndPoint endpoint, byte[] buffer, CancellationToken cancellationToken)
    {
        if (session.Expires > _time.GetUtcNow())
        {
            return session.ConnectionId;
        }

        var transactionId = NewTransactionId();
        var packet = new byte[ConnectRequestLength];
        WriteConnect(packet, transactionId);
        await ExchangeAsync(session.Socket, endpoint, packet, transactionId, ActionConnect, 16, buffer, cancellationToken).ConfigureAwait(false);
        session.ConnectionId = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(8));
        session.Expires = _time.GetUtcNow() + ConnectionIdLifetime;
        return session.ConnectionId;
    }

    /// <summary>An idle socket to <paramref name="endpoint"/> whose connection id is still valid, or a new socket.</summary>
    private Session Rent(IPEndPoint endpoint)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (_idle.TryGetValue(endpoint, out var bag))
        {
            while (bag.TryTake(out var idle))
            {
                Interlocked.Decrement(ref _idleCount);
                if (idle.Expires > _time.GetUtcNow())
                {
                    return idle;
                }

                idle.Dispose();
            }
        }

        return new Session(Open(endpoint));
    }

    /// <summary>Keeps a socket that finished cleanly and holds a live connection id (within bounds); closes any other.</summary>
    private void Release(IPEndPoint endpoint, Session session, bool reusable)
    {
        if (reusable && !Volatile.Read(ref _disposed) && session.Expires > _time.GetUtcNow()
            && (_idle.ContainsKey(endpoint) || _idle.Count < MaxPooledTrackers))
        {
            if (Interlocked.Increment(ref _idleCount) <= MaxIdleSessions)
            {
                _idle.GetOrAdd(endpoint, static _ => new ConcurrentBag<Session>()).Add(session);
                return;
            }

            Interlocked.Decrement(ref _idleCount);
        }

        session.Dispose();
    }

    /// <summary>Closes the idle sockets; requests after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        foreach (var bag in _idle.Values)
        {
            while (bag.TryTake(out var idle))
            {
                Interlocked.Decrement(ref _idleCount);
                idle.Dispose();
            }
        }
    }

    /// <summary>Sends <paramref name="packet"/> and waits for the matching reply, retransmitting on silence. Returns the reply length in <paramref name="buffer"/>.</summary>
    private async Task<int> ExchangeAsync(
        Socket socket,
        IPEndPoint endpoint,
        byte[] packet,
        int transactionId,
        int action,
        int minimumLength,
        byte[] buffer,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt <= MaxRetransmits; attempt++)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(BaseTimeout * (1 << Math.Min(attempt, 8)));
            try
            {
                await socket.SendAsync(packet, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token).ConfigureAwait(false);
                    if (received < 8 || BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(4)) != transactionId)
                    {
                        continue;
                    }

                    var replyAction = BinaryPrimitives.ReadInt32BigEndian(buffer);
                    if (replyAction == ActionError)
                    {
                        var message = Encoding.UTF8.GetString(buffer, 8, Math.Min(received - 8, 1024));
                        throw new TrackerException(TrackerFailureKind.Refused, $"UDP tracker {endpoint} refused: {message}");
                    }

                    if (replyAction == action && received >= minimumLength)
                    {
                        return received;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No reply in time: send again with a longer wait.
            }
            catch (SocketException e)
            {
                throw new TrackerException(TrackerFailureKind.Unreachable, $"UDP tracker {endpoint} is unreachable: {e.Message}", e);
            }
        }

        throw new TrackerException(TrackerFailureKind.Timeout, $"UDP tracker {endpoint} did not answer after {MaxRetransmits + 1} tries.");
    }

    /// <summary>One socket connected to one tracker, with the connection id that tracker gave this socket.</summary>
    private sealed class Session(Socket socket) : IDisposable
    {
        public Socket Socket { get; } = socket;

        public long ConnectionId { get; set; }

        public DateTimeOffset Expires { get; set; } = DateTimeOffset.MinValue;

        public void Dispose() => Socket.Dispose();
    }
}
