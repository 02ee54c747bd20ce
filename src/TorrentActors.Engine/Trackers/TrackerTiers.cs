namespace TorrentActors.Engine.Trackers;

/// <summary>
/// The announce-list of one torrent (BEP 12): URLs shuffled once within each tier; tiers tried in order and the
/// URLs of a tier in order; a URL that answers moves to the front of its tier. Not thread-safe: one announcer owns it.
/// </summary>
public sealed class TrackerTiers
{
    private readonly List<List<string>> _tiers;

    public TrackerTiers(IReadOnlyList<IReadOnlyList<string>> tiers, Random? random = null)
    {
        random ??= Random.Shared;
        _tiers = [];
        foreach (var tier in tiers)
        {
            var urls = tier.Where(url => !string.IsNullOrWhiteSpace(url)).Select(url => url.Trim()).Distinct(StringComparer.Ordinal).ToArray();
            if (urls.Length == 0)
            {
                continue;
            }

            random.Shuffle(urls);
            _tiers.Add([.. urls]);
        }
    }

    /// <summary>The current order: tiers, then URLs within each tier.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Tiers => _tiers.Select(tier => (IReadOnlyList<string>)tier.ToArray()).ToArray();

    public bool IsEmpty => _tiers.Count == 0;

    /// <summary>Announces to the first URL that answers; throws the last failure (with the count tried) when none does.</summary>
    public async Task<(string Url, AnnounceResponse Response)> AnnounceAsync(ITrackerClient client, AnnounceRequest request, CancellationToken cancellationToken)
    {
        if (IsEmpty)
        {
            throw new TrackerException("The torrent lists no trackers.");
        }

        TrackerException? last = null;
        var tried = 0;
        foreach (var tier in _tiers)
        {
            for (var i = 0; i < tier.Count; i++)
            {
                var url = tier[i];
                tried++;
                try
                {
                    if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
                    {
                        throw new TrackerException($"'{url}' is not a valid tracker URL.");
                    }

                    var response = await client.AnnounceAsync(uri, request, cancellationToken).ConfigureAwait(false);
                    tier.RemoveAt(i);
                    tier.Insert(0, url);
                    return (url, response);
                }
                catch (TrackerException e)
                {
                    last = e;
                }
            }
        }

        var message = tried == 1 ? last!.Message : $"None of {tried} trackers answered; last: {last!.Message}";
        throw new TrackerException(message, last) { IsTrackerFailure = last.IsTrackerFailure };
    }
}
