namespace TorrentActors.Engine.Picking;

/// <summary>
/// A transfer rate from a growing byte counter, sampled about once a second: each sample's rate over the time since
/// the last one is blended in at three quarters, so the figure follows a change within two or three samples without
/// jumping at every burst. A mutable value: keep it in a field and update it in place.
/// </summary>
public struct RateMeter
{
    private long _lastTotal;

    /// <summary>Bytes per second, smoothed.</summary>
    public long Rate { get; private set; }

    /// <summary>Takes a sample: <paramref name="total"/> bytes so far, <paramref name="elapsedMs"/> since the last sample.</summary>
    public void Sample(long total, long elapsedMs)
    {
        var now = (total - _lastTotal) * 1000 / Math.Max(1, elapsedMs);
        Rate = (Rate + (3 * now)) / 4;
        _lastTotal = total;
    }
}
