using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using TorrentActors.Engine.Bencoding;

namespace TorrentActors.Tracker;

/// <summary>
/// The HTTP side (BEP 3, 7, 23, 48): <c>/announce</c>, <c>/scrape</c> and <c>/torrents/NAME.torrent</c>.
/// Every tracker reply is HTTP 200 with a bencoded body; errors are <c>d14:failure reason...e</c>.
/// The <c>ip</c> parameter is honoured only from a loopback or private-network client (a local proxy, a LAN, a test)
/// and only as an IP literal that is not unspecified or multicast; otherwise the connection's own address is used.
/// </summary>
internal sealed class HttpTracker(SwarmStore store, AddressRateLimiter limiter, TrackerOptions options, TorrentFiles? files)
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_reply;

    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path == "/announce")
        {
            return WriteAsync(context, Announce(context));
        }

        if (path == "/scrape")
        {
            return WriteAsync(context, Scrape(context));
        }

        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? path ?? "";
        var question = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = question < 0 ? raw : raw[..question];
        if (files is not null && rawPath.StartsWith(TorrentFiles.Prefix, StringComparison.Ordinal) && files.Resolve(rawPath) is { } file)
        {
            return ServeFileAsync(context, file);
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private ReadOnlySpan<byte> Announce(HttpContext context)
    {
        var query = RawQuery(context);
        if (query.Length > options.MaxQueryLength)
        {
            return Failure("request too long");
        }

        if (!HttpQuery.TryParseAnnounce(query, out var announce, out var failure))
        {
            return Failure(failure);
        }

        if (context.Connection.RemoteIpAddress is not { } remote)
        {
            return Failure("unknown client address");
        }

        var source = PeerEndpoint.From(remote, announce.Port);
        if (!limiter.TryAcquire(source))
        {
            return Failure("too many requests, slow down");
        }

        if (announce.Ip is { } claimed && IsAcceptableClaim(remote, claimed))
        {
            source = PeerEndpoint.From(claimed, announce.Port);
        }

        var wanted = Math.Min(announce.NumWant is null or < 0 ? options.DefaultNumWant : announce.NumWant.Value, options.MaxNumWant);
        var request = new AnnounceRequest(announce.InfoHash, announce.PeerId, source, announce.Left, announce.Event, wanted);
        var selected = ArrayPool<TrackedPeer>.Shared.Rent(Math.Max(wanted, 1));
        try
        {
            var status = store.Announce(request, selected.AsSpan(0, wanted), out var count, out var counts);
            return status switch
            {
                AnnounceStatus.NotAllowed => Failure("torrent not allowed on this tracker"),
                AnnounceStatus.TrackerFull => Failure("tracker full"),
                _ => AnnounceReply(counts, selected.AsSpan(0, count), announce.Compact, announce.NoPeerId),
            };
        }
        finally
        {
            ArrayPool<TrackedPeer>.Shared.Return(selected);
        }
    }

    private ReadOnlySpan<byte> AnnounceReply(SwarmCounts counts, ReadOnlySpan<TrackedPeer> peers, bool compact, bool noPeerId)
    {
        var buffer = ReplyBuffer();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        WriteCounts(writer, counts);
        writer.WriteString("interval"u8);
        writer.WriteInteger((long)options.Interval.TotalSeconds);
        writer.WriteString("min interval"u8);
        writer.WriteInteger((long)options.MinInterval.TotalSeconds);
        writer.WriteString("peers"u8);
        if (compact)
        {
            // BEP 23: IPv4 peers as 6-byte strings; BEP 7: IPv6 peers as 18-byte strings under "peers6".
            Span<byte> v4 = stackalloc byte[6 * 200];
            Span<byte> v6 = stackalloc byte[18 * 200];
            int v4Length = 0, v6Length = 0;
            foreach (ref readonly var peer in peers)
            {
                if (peer.Endpoint.IsV4)
                {
                    v4Length += peer.Endpoint.WriteCompact(v4[v4Length..]);
                }
                else
                {
                    v6Length += peer.Endpoint.WriteCompact(v6[v6Length..]);
                }
            }

            writer.WriteString(v4[..v4Length]);
            if (v6Length > 0)
            {
                writer.WriteString("peers6"u8);
                writer.WriteString(v6[..v6Length]);
            }
        }
        else
        {
            writer.WriteStartList();
            Span<byte> id = stackalloc byte[20];
            foreach (ref readonly var peer in peers)
            {
                writer.WriteStartDictionary();
                writer.WriteString("ip"u8);
                writer.WriteString(peer.Endpoint.ToAddress().ToString());
                if (!noPeerId)
                {
                    writer.WriteString("peer id"u8);
                    peer.PeerId.CopyTo(id);
                    writer.WriteString(id);
                }

                writer.WriteString("port"u8);
                writer.WriteInteger(peer.Endpoint.Port);
                writer.WriteEnd();
            }

            writer.WriteEnd();
        }

        writer.WriteEnd();
        return buffer.WrittenSpan;
    }

    private ReadOnlySpan<byte> Scrape(HttpContext context)
    {
        var query = RawQuery(context);
        if (query.Length > options.MaxQueryLength)
        {
            return Failure("request too long");
        }

        if (context.Connection.RemoteIpAddress is not { } remote)
        {
            return Failure("unknown client address");
        }

        if (!limiter.TryAcquire(PeerEndpoint.From(remote, 0)))
        {
            return Failure("too many requests, slow down");
        }

        var hashes = new List<Id20>();
        if (!HttpQuery.TryParseScrape(query, options.MaxScrapeHashes, hashes, out var failure))
        {
            return Failure(failure);
        }

        List<(Id20 InfoHash, SwarmCounts Counts)> entries;
        if (hashes.Count == 0)
        {
            if (!options.AllowScrapeAll)
            {
                return Failure("full scrape is disabled: name an info_hash");
            }

            entries = store.ScrapeAll();
        }
        else
        {
            hashes.Sort();
            entries = hashes.Where(store.IsAllowed).Select(h => (h, store.Scrape(h))).ToList();
        }

        var buffer = ReplyBuffer();
        var writer = new BencodeWriter(buffer);
        Span<byte> key = stackalloc byte[20];
        writer.WriteStartDictionary();
        writer.WriteString("files"u8);
        writer.WriteStartDictionary();
        foreach (var (hash, counts) in entries)
        {
            hash.CopyTo(key);
            writer.WriteString(key);
            writer.WriteStartDictionary();
            WriteCounts(writer, counts);
            writer.WriteEnd();
        }

        writer.WriteEnd();
        writer.WriteEnd();
        return buffer.WrittenSpan;
    }

    /// <summary>The swarm counts as they stand, in key order, in both the announce and the scrape replies.</summary>
    private static void WriteCounts(BencodeWriter writer, SwarmCounts counts)
    {
        writer.WriteString("complete"u8);
        writer.WriteInteger(counts.Seeders);
        writer.WriteString("downloaded"u8);
        writer.WriteInteger(counts.Downloaded);
        writer.WriteString("incomplete"u8);
        writer.WriteInteger(counts.Leechers);
    }

    private static ReadOnlySpan<byte> Failure(string reason)
    {
        var buffer = ReplyBuffer();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteString("failure reason"u8);
        writer.WriteString(reason);
        writer.WriteEnd();
        return buffer.WrittenSpan;
    }

    /// <summary>
    /// This thread's reply buffer, emptied. A reply is rendered here and copied into the response pipe before the
    /// handler first awaits, so no two requests ever share it; it saves two allocations per announce.
    /// </summary>
    private static ArrayBufferWriter<byte> ReplyBuffer()
    {
        if (t_reply is { Capacity: > 64 * 1024 })
        {
            t_reply = null; // A full scrape grew it: do not keep a big buffer on every thread.
        }

        var buffer = t_reply ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>The query string exactly as sent (still percent-encoded), without the '?'.</summary>
    private static ReadOnlySpan<char> RawQuery(HttpContext context)
    {
        var value = context.Request.QueryString.Value;
        return string.IsNullOrEmpty(value) ? [] : value.AsSpan(1);
    }

    internal static bool IsAcceptableClaim(IPAddress remote, IPAddress claimed)
    {
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        var fromLocal = IPAddress.IsLoopback(remote) || IsPrivate(remote);
        var usable = !claimed.Equals(IPAddress.Any) && !claimed.Equals(IPAddress.IPv6Any) && !claimed.Equals(IPAddress.Broadcast)
            && !claimed.IsIPv6Multicast && !(claimed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && claimed.GetAddressBytes()[0] >= 224);
        return fromLocal && usable;
    }

    private static bool IsPrivate(IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 10 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
        }

        return address.IsIPv6LinkLocal || address.IsIPv6UniqueLocal;
    }

    /// <summary>Copies the reply into the response pipe now (so its buffer is free again), then flushes.</summary>
    private static Task WriteAsync(HttpContext context, ReadOnlySpan<byte> body)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/plain";
        response.ContentLength = body.Length;
        response.BodyWriter.Write(body);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    private static async Task ServeFileAsync(HttpContext context, string file)
    {
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(file, context.RequestAborted);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/x-bittorrent";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
