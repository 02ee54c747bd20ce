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

    /// <summary>At most this many trackers' reasons are spelled out in the message when all of them fail.</summary>
    public const int MaxReasonsInMessage = 8;

    /// <summary>
    /// Announces to the first URL that answers (BEP 12): a URL that fails in any way (a <see cref="TrackerException"/>
    /// of any kind, or any other exception from <paramref name="client"/>) is reported to <paramref name="onTrackerFailed"/>
    /// and the next one is tried at once. When none answers, throws a <see cref="TrackerException"/> whose message
    /// names every failure ("all N trackers failed: URL: reason; ...") and whose <see cref="TrackerException.Failures"/>
    /// lists them; with a single tracker the message is that tracker's reason. Only the caller's cancellation ends the
    /// walk early (as an <see cref="OperationCanceledException"/>).
    /// </summary>
    public async Task<(string Url, AnnounceResponse Response)> AnnounceAsync(
        ITrackerClient client,
        AnnounceRequest request,
        CancellationToken cancellationToken,
        Action<TrackerFailure>? onTrackerFailed = null)
    {
        if (IsEmpty)
        {
            throw new TrackerException(TrackerFailureKind.BadUrl, "The torrent lists no trackers.");
        }

        var failures = new List<TrackerFailure>();
        TrackerException? last = null;
        foreach (var tier in _tiers)
        {
            for (var i = 0; i < tier.Count; i++)
            {
                var url = tier[i];
                try
                {
                    if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
                    {
                        throw new TrackerException(TrackerFailureKind.BadUrl, $"'{url}' is not a valid tracker URL.");
                    }

                    var response = await client.AnnounceAsync(uri, request, cancellationToken).ConfigureAwait(false);
                    tier.RemoveAt(i);
                    tier.Insert(0, url);
                    return (url, response);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    // Whatever the client throws, this tracker has failed and the next one is asked.
                    last = e as TrackerException ?? TrackerException.Unexpected(url, e);
                }

                var failure = new TrackerFailure(url, last.Kind, last.Message);
                failures.Add(failure);
                onTrackerFailed?.Invoke(failure);
            }
        }

        throw new TrackerException(last!.Kind, Describe(failures), last) { Failures = failures };
    }

    /// <summary>The reason of a lone tracker as it is; for several, "all N trackers failed: URL: reason; ...".</summary>
    private static string Describe(IReadOnlyList<TrackerFailure> failures)
    {
        if (failures.Count == 1)
        {
            return failures[0].Reason;
        }

        var reasons = string.Join("; ", failures.Take(MaxReasonsInMessage).Select(f => $"{f.Tracker}: {f.Reason}"));
        var more = failures.Count > MaxReasonsInMessage ? $"; and {failures.Count - MaxReasonsInMessage} more" : string.Empty;
        return $"all {failures.Count} trackers failed: {reasons}{more}";
    }
}
