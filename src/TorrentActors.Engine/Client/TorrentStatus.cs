namespace TorrentActors.Engine.Client;

public enum TorrentState
{
    Stopped,
    Checking,
    Downloading,
    Seeding,
    Paused,
    Error,
}

/// <summary>
/// A snapshot of one torrent session. Progress is 0..1 over verified pieces. <paramref name="Error"/> is why the session
/// failed; <paramref name="TrackerError"/> why its last announce failed while it runs on (null after a success).
/// </summary>
public sealed record TorrentStatus(
    TorrentState State,
    double Progress,
    long BytesVerified,
    long DownloadRate,
    long UploadRate,
    int PeerCount,
    string? Error,
    string? TrackerError = null)
{
    public static readonly TorrentStatus Initial = new(TorrentState.Stopped, 0, 0, 0, 0, 0, null);

    public int WholePercent => (int)Math.Floor(Progress * 100);
}
