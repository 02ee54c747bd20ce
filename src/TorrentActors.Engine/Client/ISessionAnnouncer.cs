namespace TorrentActors.Engine.Client;

/// <summary>What a session needs from its tracker announcer (started, completed, stopped; peers found).</summary>
internal interface ISessionAnnouncer : IAsyncDisposable
{
    void Start();

    void AnnounceCompleted();

    Task StopAsync(CancellationToken cancellationToken);
}
