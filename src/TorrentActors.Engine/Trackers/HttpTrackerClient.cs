using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Trackers;

/// <summary>
/// HTTP(S) tracker protocol (BEP 3, compact peers BEP 23, IPv6 peers BEP 7, scrape convention).
/// The query is built by hand because <c>info_hash</c> and <c>peer_id</c> are raw bytes, percent-encoded one by one.
/// Replies are read up to <see cref="MaxResponseBytes"/> within <see cref="Timeout"/>; redirects are followed by hand,
/// to http(s) URLs only, never in a loop, at most <see cref="MaxRedirects"/>. Every way a request can fail (name,
/// connection, timeout, HTTP status, redirect, a body that does not decompress, is too big or is not bencode, a
/// <c>failure reason</c>) ends as one <see cref="TrackerException"/> with its <see cref="TrackerFailureKind"/>.
/// </summary>
public sealed class HttpTrackerClient : ITrackerClient
{
    public const int DefaultMaxResponseBytes = 2 * 1024 * 1024;

    private const int MaxRememberedTrackerIds = 4096;

    private static readonly Lazy<HttpClient> SharedClient = new(() => CreateHttpClient());

    private readonly HttpClient _http;
    private readonly uint _key;
    private readonly ConcurrentDictionary<(string Tracker, InfoHash InfoHash), string> _trackerIds = new();

    /// <param name="httpClient">A shared client; when null, one process-wide client made by <see cref="CreateHttpClient"/>.</param>
    /// <param name="key">The <c>key</c> sent with every announce (random when null).</param>
    public HttpTrackerClient(HttpClient? httpClient = null, uint? key = null)
    {
        _http = httpClient ?? SharedClient.Value;
        _key = key ?? (uint)Random.Shared.NextInt64(0, 1L << 32);
    }

    /// <summary>How long one request may take, from sending to the last byte of the reply.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How many redirects (to http or https URLs only, never back to one already visited) one request follows.</summary>
    public int MaxRedirects { get; init; } = 3;

    /// <summary>Replies longer than this are refused before they are buffered.</summary>
    public int MaxResponseBytes { get; init; } = DefaultMaxResponseBytes;

    /// <summary>A client for trackers: no proxy, connections recycled every few minutes (DNS changes), bounded connect time.</summary>
    public static HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.All,
            AllowAutoRedirect = false, // followed by hand, so that each target is checked (see MaxRedirects)
            MaxResponseHeadersLength = 64, // KiB
        };
        var client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("TorrentActors/0.1");
        return client;
    }

    public async Task<AnnounceResponse> AnnounceAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken)
    {
        var idKey = (tracker.AbsoluteUri, request.InfoHash);
        _trackerIds.TryGetValue(idKey, out var trackerId);
        var uri = ToUri(BuildAnnounceUri(tracker, request, _key, trackerId), tracker);
        var body = await GetAsync(uri, cancellationToken).ConfigureAwait(false);
        var response = ParseAnnounceResponse(body);

        if (request.Event == AnnounceEvent.Stopped)
        {
            _trackerIds.TryRemove(idKey, out _);
        }
        else if (response.TrackerId is { } id && (_trackerIds.Count < MaxRememberedTrackerIds || _trackerIds.ContainsKey(idKey)))
        {
            _trackerIds[idKey] = id;
        }

        return response;
    }

    public async Task<IReadOnlyDictionary<InfoHash, ScrapeEntry>> ScrapeAsync(Uri tracker, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken)
    {
        if (!TryGetScrapeUri(tracker, out var scrape))
        {
            throw new TrackerException(TrackerFailureKind.BadUrl, $"Tracker {tracker} does not support scrape: its last path segment is not 'announce'.");
        }

        var uri = ToUri(BuildScrapeUri(scrape, infoHashes), tracker);
        var body = await GetAsync(uri, cancellationToken).ConfigureAwait(false);
        return ParseScrapeResponse(body);
    }

    /// <summary>
    /// The announce URL with our query appended (after any query the tracker URL already has, e.g. a passkey).
    /// Order: info_hash, peer_id, port, uploaded, downloaded, left, compact, event, numwant, key, trackerid.
    /// </summary>
    public static string BuildAnnounceUri(Uri tracker, AnnounceRequest request, uint key, string? trackerId)
    {
        if (request.PeerId.Length != 20)
        {
            throw new ArgumentException($"A peer id is 20 bytes, not {request.PeerId.Length}.", nameof(request));
        }

        var builder = StartQuery(tracker);
        builder.Append("info_hash=");
        AppendPercentEncoded(builder, request.InfoHash.Span);
        builder.Append("&peer_id=");
        AppendPercentEncoded(builder, request.PeerId.Span);
        builder.Append(CultureInfo.InvariantCulture, $"&port={request.Port}");
        builder.Append(CultureInfo.InvariantCulture, $"&uploaded={Math.Max(0, request.Uploaded)}");
        builder.Append(CultureInfo.InvariantCulture, $"&downloaded={Math.Max(0, request.Downloaded)}");
        builder.Append(CultureInfo.InvariantCulture, $"&left={Math.Max(0, request.Left)}");
        builder.Append("&compact=1");
        var eventName = request.Event switch
        {
            AnnounceEvent.Started => "started",
            AnnounceEvent.Completed => "completed",
            AnnounceEvent.Stopped => "stopped",
            _ => null,
        };
        if (eventName is not null)
        {
            builder.Append("&event=").Append(eventName);
        }

        builder.Append(CultureInfo.InvariantCulture, $"&numwant={Math.Max(0, request.NumWant)}");
        builder.Append(CultureInfo.InvariantCulture, $"&key={key:x8}");
        if (trackerId is not null)
        {
            builder.Append("&trackerid=");
            AppendPercentEncoded(builder, Encoding.UTF8.GetBytes(trackerId));
        }

        return builder.ToString();
    }

    public static string BuildScrapeUri(Uri scrape, IReadOnlyList<InfoHash> infoHashes)
    {
        var builder = StartQuery(scrape);
        for (var i = 0; i < infoHashes.Count; i++)
        {
            builder.Append(i == 0 ? "info_hash=" : "&info_hash=");
            AppendPercentEncoded(builder, infoHashes[i].Span);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The scrape convention: if the text after the last '/' of the path begins with 'announce',
    /// replace that word with 'scrape' (<c>/x/announce.php?k=v</c> → <c>/x/scrape.php?k=v</c>); otherwise there is no scrape URL.
    /// </summary>
    public static bool TryGetScrapeUri(Uri announce, out Uri scrape)
    {
        scrape = announce;
        if (!announce.IsAbsoluteUri || (announce.Scheme != Uri.UriSchemeHttp && announce.Scheme != Uri.UriSchemeHttps && announce.Scheme != "udp"))
        {
            return false;
        }

        var path = announce.AbsolutePath;
        var slash = path.LastIndexOf('/');
        if (slash < 0 || !path.AsSpan(slash + 1).StartsWith("announce", StringComparison.Ordinal))
        {
            return false;
        }

        var builder = new UriBuilder(announce)
        {
            Path = string.Concat(path.AsSpan(0, slash + 1), "scrape", path.AsSpan(slash + 1 + "announce".Length)),
            Fragment = string.Empty,
        };
        scrape = builder.Uri;
        return true;
    }

    /// <summary>Reads an announce reply (BEP 3/7/23). A <c>failure reason</c> becomes a <see cref="TrackerException"/>.</summary>
    public static AnnounceResponse ParseAnnounceResponse(ReadOnlyMemory<byte> body)
    {
        var root = DecodeDictionary(body);
        ThrowIfFailure(root);

        var peers = new List<IPEndPoint>();
        switch (root["peers"])
        {
            case BString compact:
                CompactPeers.ReadIPv4(compact.Span, peers);
                break;
            case BList list:
                ReadDictionaryPeers(list, peers);
                break;
        }

        if (root["peers6"] is BString compact6)
        {
            CompactPeers.ReadIPv6(compact6.Span, peers);
        }

        var interval = TrackerIntervals.Clamp(root.GetInteger("interval")) ?? TrackerIntervals.Default;
        var minInterval = TrackerIntervals.Clamp(root.GetInteger("min interval"));
        if (minInterval > interval)
        {
            interval = minInterval.Value;
        }

        return new AnnounceResponse(
            interval,
            minInterval,
            Distinct(peers),
            root.GetText("tracker id"),
            ToCount(root.GetInteger("complete")),
            ToCount(root.GetInteger("incomplete")),
            root.GetText("warning message"));
    }

    /// <summary>Reads a scrape reply: <c>files</c> maps each 20-byte infohash to complete/downloaded/incomplete.</summary>
    public static IReadOnlyDictionary<InfoHash, ScrapeEntry> ParseScrapeResponse(ReadOnlyMemory<byte> body)
    {
        var root = DecodeDictionary(body);
        ThrowIfFailure(root);
        if (!root.TryGet<BDictionary>("files", out var files))
        {
            throw new TrackerException(TrackerFailureKind.BadReply, "Tracker scrape reply has no 'files' dictionary.");
        }

        var result = new Dictionary<InfoHash, ScrapeEntry>();
        foreach (var (key, value) in files.Entries)
        {
            if (key.Length != InfoHash.Length || value is not BDictionary entry)
            {
                continue;
            }

            result[new InfoHash(key.Span)] = new ScrapeEntry(
                ToCount(entry.GetInteger("complete")) ?? 0,
                ToCount(entry.GetInteger("downloaded")) ?? 0,
                ToCount(entry.GetInteger("incomplete")) ?? 0);
        }

        return result;
    }

    internal static IReadOnlyList<IPEndPoint> Distinct(List<IPEndPoint> peers)
    {
        if (peers.Count < 2)
        {
            return peers;
        }

        var seen = new HashSet<IPEndPoint>();
        var unique = new List<IPEndPoint>(peers.Count);
        foreach (var peer in peers)
        {
            if (seen.Add(peer))
            {
                unique.Add(peer);
            }
        }

        return unique;
    }

    private static void ReadDictionaryPeers(BList list, List<IPEndPoint> peers)
    {
        foreach (var item in list.Items)
        {
            // Hostnames are skipped on purpose: resolving names a tracker hands out would let it steer our traffic.
            if (item is BDictionary peer
                && IPAddress.TryParse(peer.GetText("ip"), out var address)
                && peer.GetInteger("port") is >= 1 and <= 65535 and var port)
            {
                peers.Add(new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, (int)port));
            }
        }
    }

    private static BDictionary DecodeDictionary(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            throw new TrackerException(TrackerFailureKind.BadReply, "Tracker sent an empty reply.");
        }

        try
        {
            return BencodeReader.DecodeDictionary(body, BencodeReaderOptions.Lenient with { AllowTrailingData = true });
        }
        catch (BencodeException e)
        {
            throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker reply is not a bencoded dictionary: {e.Message}", e);
        }
    }

    private static void ThrowIfFailure(BDictionary root)
    {
        if (root.TryGet<BString>("failure reason", out var reason))
        {
            throw new TrackerException(TrackerFailureKind.Refused, $"Tracker refused: {reason.Text}");
        }
    }

    private static int? ToCount(long? value) => value is >= 0 ? (int)Math.Min(value.Value, int.MaxValue) : null;

    private static StringBuilder StartQuery(Uri tracker)
    {
        var builder = new StringBuilder(256);
        builder.Append(tracker.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped));
        var query = tracker.Query;
        if (query.Length > 1)
        {
            builder.Append(query).Append('&');
        }
        else
        {
            builder.Append('?');
        }

        return builder;
    }

    /// <summary>RFC 3986: unreserved bytes as they are, every other byte as %XX (upper-case hex).</summary>
    private static void AppendPercentEncoded(StringBuilder builder, ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(Convert.ToHexString([b]));
            }
        }
    }

    private static Uri ToUri(string text, Uri tracker) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
            ? uri
            : throw new TrackerException(TrackerFailureKind.BadUrl, $"Tracker URL '{tracker.OriginalString}' does not make a valid request URL.");

    /// <summary>
    /// One GET within <see cref="Timeout"/>, following at most <see cref="MaxRedirects"/> redirects to http(s) URLs.
    /// Every way it can fail ends as a <see cref="TrackerException"/>; only the caller's cancellation passes as such.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var where = uri.GetLeftPart(UriPartial.Path);
        try
        {
            var visited = new HashSet<string>(StringComparer.Ordinal) { uri.AbsoluteUri };
            for (var redirects = 0; ; redirects++)
            {
                var reply = await GetWithOneRetryAsync(uri, where, timeout.Token).ConfigureAwait(false);
                if (reply.RedirectTo is not { } location)
                {
                    return reply.Body;
                }

                if (redirects == MaxRedirects)
                {
                    throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} redirected more than {MaxRedirects} times.");
                }

                uri = ResolveRedirect(uri, location, where);
                if (!visited.Add(uri.AbsoluteUri))
                {
                    throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} redirects in a loop (back to {uri.GetLeftPart(UriPartial.Path)}).");
                }
            }
        }
        catch (Exception e) when (e is not TrackerException && !cancellationToken.IsCancellationRequested)
        {
            throw Classify(e, where, timeout.IsCancellationRequested);
        }
    }

    /// <summary>A Location header made absolute against the URL that sent it; only http and https are followed.</summary>
    private static Uri ResolveRedirect(Uri from, string? location, string where)
    {
        if (string.IsNullOrWhiteSpace(location) || !Uri.TryCreate(from, location.Trim(), out var target))
        {
            throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} redirected to '{location}', which is not a URL.");
        }

        if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps)
        {
            throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} redirected to {target.GetLeftPart(UriPartial.Path)}; only http and https URLs are followed.");
        }

        return target;
    }

    /// <summary>Names what went wrong with a request that ended in something other than a <see cref="TrackerException"/>.</summary>
    private TrackerException Classify(Exception e, string where, bool timedOut) => e switch
    {
        _ when timedOut =>
            new TrackerException(TrackerFailureKind.Timeout, $"Tracker {where} did not answer within {Timeout.TotalSeconds:0.#} s.", e),
        HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse or HttpRequestError.ConfigurationLimitExceeded }
            or HttpIOException { HttpRequestError: HttpRequestError.InvalidResponse } =>
            new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} sent a malformed HTTP reply: {Describe(e)}", e),
        HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } =>
            new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} cut its reply short: {Describe(e)}", e),
        HttpRequestException or IOException or SocketException =>
            new TrackerException(TrackerFailureKind.Unreachable, $"Could not reach tracker {where}: {Describe(e)}", e),
        UriFormatException =>
            new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} led to an unusable URL: {e.Message}", e),
        _ => TrackerException.Unexpected(where, e),
    };

    /// <summary>One request, tried once more when the connection is dropped before any reply (seen with opentracker under load).</summary>
    private async Task<Reply> GetWithOneRetryAsync(Uri uri, string where, CancellationToken cancellationToken)
    {
        try
        {
            return await GetOnceAsync(uri, where, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsResetBeforeReply(e) && !cancellationToken.IsCancellationRequested)
        {
            return await GetOnceAsync(uri, where, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Reply> GetOnceAsync(Uri uri, string where, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        // One request per connection: announces are minutes apart, and trackers such as opentracker close
        // the connection after each reply, which races with the reuse of a pooled connection.
        request.Headers.ConnectionClose = true;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (IsRedirect(response.StatusCode))
        {
            // A client made elsewhere may follow redirects itself; ours leaves them to GetAsync, which checks each target.
            if (!response.Headers.NonValidated.TryGetValues("Location", out var location) || location.Count == 0)
            {
                throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} answered HTTP {(int)response.StatusCode} without a Location.");
            }

            return new Reply(default, location.ToString());
        }

        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new TrackerException(
                TrackerFailureKind.BadReply,
                $"Tracker {where} sent a reply of {response.Content.Headers.ContentLength} bytes, over the limit of {MaxResponseBytes}.");
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            ReadOnlyMemory<byte> body;
            try
            {
                body = await ReadLimitedAsync(stream, where, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
            {
                // What GZipStream/DeflateStream (InvalidDataException) and BrotliStream (InvalidOperationException) throw on bad input.
                throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} sent a compressed body that does not decompress: {e.Message}", e);
            }

            if (!response.IsSuccessStatusCode)
            {
                ThrowIfFailureInErrorPage(body);
                throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            }

            return new Reply(body, null);
        }
    }

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>True for a connection reset or closed before the reply's status line (not for a refused connection).</summary>
    private static bool IsResetBeforeReply(Exception e)
    {
        if (e is not HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.Unknown or HttpRequestError.ConnectionError })
        {
            return false;
        }

        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted }
                || inner is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The most specific message in an exception chain ("Connection refused" rather than "An error occurred while sending the request").</summary>
    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            messages.Add(current.Message);
        }

        return string.Join(" / ", messages.Distinct());
    }

    private static void ThrowIfFailureInErrorPage(ReadOnlyMemory<byte> body)
    {
        BDictionary root;
        try
        {
            root = BencodeReader.DecodeDictionary(body, BencodeReaderOptions.Lenient with { AllowTrailingData = true });
        }
        catch (BencodeException)
        {
            return; // an ordinary error page; the caller reports the status code
        }

        ThrowIfFailure(root);
    }

    private async Task<ReadOnlyMemory<byte>> ReadLimitedAsync(Stream stream, string where, CancellationToken cancellationToken)
    {
        var buffer = new byte[Math.Min(16 * 1024, MaxResponseBytes + 1)];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (buffer.Length > MaxResponseBytes)
                {
                    throw new TrackerException(TrackerFailureKind.BadReply, $"Tracker {where} sent a reply over the limit of {MaxResponseBytes} bytes.");
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, MaxResponseBytes + 1L));
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.AsMemory(0, length);
            }

            length += read;
        }
    }

    /// <summary>A body, or where a redirect points (the raw Location header).</summary>
    private readonly record struct Reply(ReadOnlyMemory<byte> Body, string? RedirectTo);
}

/// <summary>Bounds on what a tracker may ask of us: announce no more often than 30 s, no less often than 1 h.</summary>
public static class TrackerIntervals
{
    public static readonly TimeSpan Minimum = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Maximum = TimeSpan.FromHours(1);
    public static readonly TimeSpan Default = TimeSpan.FromMinutes(30);

    public static TimeSpan? Clamp(long? seconds) => seconds switch
    {
        null or <= 0 => null,
        _ => TimeSpan.FromSeconds(Math.Clamp(seconds.Value, (long)Minimum.TotalSeconds, (long)Maximum.TotalSeconds)),
    };
}
