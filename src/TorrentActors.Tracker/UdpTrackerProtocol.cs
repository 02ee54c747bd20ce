using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TorrentActors.Tracker;

/// <summary>
/// BEP 15 request handling, socket-free: one datagram in, one reply (or nothing) out. Layouts (big-endian):
/// connect  16 B: protocol_id 0x41727101980 (8), action 0 (4), transaction_id (4) → action, transaction_id, connection_id (16 B);
/// announce 98 B: connection_id (8), action 1, transaction_id, info_hash (20), peer_id (20), downloaded (8), left (8),
///   uploaded (8), event (4: 0 none, 1 completed, 2 started, 3 stopped), ip (4, ignored), key (4), num_want (4), port (2)
///   → action, transaction_id, interval, leechers, seeders, then 6 B (IPv4) or 18 B (IPv6) per peer, in the request's family;
/// scrape 16 + 20·n B → action 2, transaction_id, then seeders, completed, leechers (4 B each) per hash, in request order;
/// error → action 3, transaction_id, message.
/// </summary>
internal sealed class UdpTrackerProtocol(SwarmStore store, ConnectionIds connectionIds, AddressRateLimiter limiter, TrackerOptions options)
{
    public const long ProtocolId = 0x41727101980;
    public const int ConnectRequestLength = 16;
    public const int AnnounceRequestLength = 98;
    public const int MaxScrapeHashes = 74;

    /// <summary>IPv6 replies stay under a 1500-byte MTU: (1500 - 40 - 8 - 20) / 18.</summary>
    public const int MaxIPv6Peers = 79;

    /// <summary>Large enough for any reply.</summary>
    public const int MaxReplyLength = 20 + 200 * 18;

    public int Handle(ReadOnlySpan<byte> request, PeerEndpoint source, Span<byte> reply)
    {
        if (request.Length < ConnectRequestLength)
        {
            return 0; // Too short to carry a transaction id: nothing sensible to answer.
        }

        var connectionId = BinaryPrimitives.ReadInt64BigEndian(request);
        var action = BinaryPrimitives.ReadInt32BigEndian(request[8..]);
        var transactionId = BinaryPrimitives.ReadInt32BigEndian(request[12..]);
        if (!limiter.TryAcquire(source))
        {
            return 0; // Flooding: silence costs us least.
        }

        switch (action)
        {
            case 0:
                if (connectionId != ProtocolId)
                {
                    return 0;
                }

                BinaryPrimitives.WriteInt32BigEndian(reply, 0);
                BinaryPrimitives.WriteInt32BigEndian(reply[4..], transactionId);
                BinaryPrimitives.WriteInt64BigEndian(reply[8..], connectionIds.Issue(source));
                return 16;
            case 1 or 2 when !connectionIds.IsValid(connectionId, source):
                return Error(reply, transactionId, "invalid or expired connection id");
            case 1:
                return Announce(request, source, transactionId, reply);
            case 2:
                return Scrape(request, transactionId, reply);
            default:
                return Error(reply, transactionId, "unknown action");
        }
    }

    private int Announce(ReadOnlySpan<byte> request, PeerEndpoint source, int transactionId, Span<byte> reply)
    {
        if (request.Length < AnnounceRequestLength)
        {
            return Error(reply, transactionId, "truncated announce");
        }

        var left = BinaryPrimitives.ReadInt64BigEndian(request[64..]);
        var eventCode = BinaryPrimitives.ReadInt32BigEndian(request[80..]);
        var numWant = BinaryPrimitives.ReadInt32BigEndian(request[92..]);
        var port = BinaryPrimitives.ReadUInt16BigEndian(request[96..]);
        if (eventCode is < 0 or > 3)
        {
            return Error(reply, transactionId, "invalid event");
        }

        if (port == 0)
        {
            return Error(reply, transactionId, "invalid port");
        }

        var cap = source.IsV4 ? options.MaxNumWant : Math.Min(options.MaxNumWant, MaxIPv6Peers);
        var wanted = Math.Min(numWant < 0 ? options.DefaultNumWant : numWant, cap);
        var announce = new AnnounceRequest(new Id20(request.Slice(16, 20)), new Id20(request.Slice(36, 20)), source.WithPort(port),
            left < 0 ? 1 : left, (AnnounceEvent)eventCode, wanted, source.IsV4 ? PeerFamily.V4 : PeerFamily.V6);
        var selected = ArrayPool<TrackedPeer>.Shared.Rent(Math.Max(wanted, 1));
        try
        {
            var status = store.Announce(announce, selected.AsSpan(0, wanted), out var count, out var counts);
            switch (status)
            {
                case AnnounceStatus.NotAllowed:
                    return Error(reply, transactionId, "torrent not allowed on this tracker");
                case AnnounceStatus.TrackerFull:
                    return Error(reply, transactionId, "tracker full");
            }

            BinaryPrimitives.WriteInt32BigEndian(reply, 1);
            BinaryPrimitives.WriteInt32BigEndian(reply[4..], transactionId);
            BinaryPrimitives.WriteInt32BigEndian(reply[8..], (int)options.Interval.TotalSeconds);
            BinaryPrimitives.WriteInt32BigEndian(reply[12..], counts.Leechers);
            BinaryPrimitives.WriteInt32BigEndian(reply[16..], counts.Seeders);
            var written = 20;
            for (var i = 0; i < count; i++)
            {
                written += selected[i].Endpoint.WriteCompact(reply[written..]);
            }

            return written;
        }
        finally
        {
            ArrayPool<TrackedPeer>.Shared.Return(selected);
        }
    }

    private int Scrape(ReadOnlySpan<byte> request, int transactionId, Span<byte> reply)
    {
        var body = request[16..];
        if (body.Length == 0 || body.Length % 20 != 0)
        {
            return Error(reply, transactionId, "scrape needs whole 20-byte info_hash values");
        }

        var hashes = Math.Min(body.Length / 20, MaxScrapeHashes);
        BinaryPrimitives.WriteInt32BigEndian(reply, 2);
        BinaryPrimitives.WriteInt32BigEndian(reply[4..], transactionId);
        var written = 8;
        for (var i = 0; i < hashes; i++)
        {
            var hash = new Id20(body.Slice(i * 20, 20));
            var counts = store.IsAllowed(hash) ? store.Scrape(hash) : default;
            BinaryPrimitives.WriteInt32BigEndian(reply[written..], counts.Seeders);
            BinaryPrimitives.WriteInt32BigEndian(reply[(written + 4)..], (int)Math.Min(counts.Downloaded, int.MaxValue));
            BinaryPrimitives.WriteInt32BigEndian(reply[(written + 8)..], counts.Leechers);
            written += 12;
        }

        return written;
    }

    private static int Error(Span<byte> reply, int transactionId, string message)
    {
        BinaryPrimitives.WriteInt32BigEndian(reply, 3);
        BinaryPrimitives.WriteInt32BigEndian(reply[4..], transactionId);
        return 8 + Encoding.ASCII.GetBytes(message, reply[8..]);
    }
}
