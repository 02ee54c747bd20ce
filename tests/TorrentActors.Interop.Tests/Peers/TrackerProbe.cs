using System.Globalization;
using System.Text;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>A minimal HTTP tracker client for tests: announce and scrape against any tracker (ours or opentracker).</summary>
public static class TrackerProbe
{
    /// <summary>
    /// One request per connection: opentracker closes the connection after every reply, so a reused keep-alive
    /// connection can meet a reset (seen when two announces follow each other at once).
    /// </summary>
    private static readonly HttpClient Http = new()
    {
        Timeout = TimeSpan.FromSeconds(10),
        DefaultRequestHeaders = { ConnectionClose = true },
    };

    /// <summary>
    /// GET with up to three tries when the connection is reset before a reply: opentracker under load resets
    /// some connections outright (as our tracker client also handles). Any other failure is thrown at once.
    /// </summary>
    private static async Task<byte[]> GetAsync(string url, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Http.GetByteArrayAsync(url, cancellationToken);
            }
            catch (HttpRequestException ex) when (attempt < 3 && ex.InnerException is IOException)
            {
                await Task.Delay(50 * attempt, cancellationToken);
            }
        }
    }

    /// <summary>Percent-encodes every byte (%XX), the safe form for binary info_hash and peer_id values.</summary>
    public static string PercentEncode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Sends one announce and returns the decoded reply dictionary (which may hold a <c>failure reason</c>).</summary>
    public static async Task<BDictionary> AnnounceAsync(Uri announce, InfoHash infoHash, ReadOnlyMemory<byte> peerId, int port,
        string? trackerEvent = null, long left = 0, int? numWant = null, CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder();
        query.Append(announce.Query.Length > 0 ? '&' : '?');
        query.Append("info_hash=").Append(PercentEncode(infoHash.Span));
        query.Append("&peer_id=").Append(PercentEncode(peerId.Span));
        query.Append(CultureInfo.InvariantCulture, $"&port={port}&uploaded=0&downloaded=0&left={left}&compact=1");
        if (trackerEvent is not null)
        {
            query.Append("&event=").Append(trackerEvent);
        }

        if (numWant is not null)
        {
            query.Append(CultureInfo.InvariantCulture, $"&numwant={numWant}");
        }

        var bytes = await GetAsync(announce + query.ToString(), cancellationToken);
        return BencodeReader.DecodeDictionary(bytes, BencodeReaderOptions.Lenient);
    }

    /// <summary>Scrapes one infohash; returns (complete, incomplete, downloaded), zeros when the tracker does not know it.</summary>
    public static async Task<(long Complete, long Incomplete, long Downloaded)> ScrapeAsync(Uri announce, InfoHash infoHash,
        CancellationToken cancellationToken = default)
    {
        var scrape = announce.ToString().Replace("/announce", "/scrape", StringComparison.Ordinal);
        var separator = scrape.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var bytes = await GetAsync($"{scrape}{separator}info_hash={PercentEncode(infoHash.Span)}", cancellationToken);
        var reply = BencodeReader.DecodeDictionary(bytes, BencodeReaderOptions.Lenient);
        if (reply.Get<BDictionary>("files") is not { } files || !files.TryGetValue(infoHash.Span, out var entry) || entry is not BDictionary stats)
        {
            return (0, 0, 0);
        }

        return (stats.GetInteger("complete") ?? 0, stats.GetInteger("incomplete") ?? 0, stats.GetInteger("downloaded") ?? 0);
    }

    /// <summary>Polls scrape until the tracker knows at least <paramref name="peers"/> peers (seeders or leechers).</summary>
    public static async Task WaitForPeersAsync(Uri announce, InfoHash infoHash, int peers, TimeSpan timeout, ExternalProcess? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var known = 0L;
        while (DateTime.UtcNow < deadline)
        {
            var (complete, incomplete, _) = await ScrapeAsync(announce, infoHash);
            known = complete + incomplete;
            if (known >= peers)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"tracker {announce} knew {known} peers of {peers} after {timeout.TotalSeconds:0} s.\n{diagnostics?.Describe()}");
    }

    /// <summary>Polls scrape until at least <paramref name="seeders"/> seeders are registered (so a leecher started next finds them).</summary>
    public static async Task WaitForSeedersAsync(Uri announce, InfoHash infoHash, int seeders, TimeSpan timeout, ExternalProcess? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = (0L, 0L, 0L);
        while (DateTime.UtcNow < deadline)
        {
            last = await ScrapeAsync(announce, infoHash);
            if (last.Item1 >= seeders)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"tracker {announce} saw {last.Item1} seeders of {seeders} after {timeout.TotalSeconds:0} s.\n{diagnostics?.Describe()}");
    }
}
