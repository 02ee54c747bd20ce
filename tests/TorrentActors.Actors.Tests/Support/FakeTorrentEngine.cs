using System.Collections.Concurrent;
using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Actors.Tests.Support;

/// <summary>
/// A test double for the engine: sessions go through the states a script tells them to, so the actors'
/// supervision and reporting can be tested without the network.
/// </summary>
public sealed class FakeTorrentEngine : ITorrentEngine
{
    private readonly ConcurrentDictionary<InfoHash, FakeSession> _sessions = new();

    /// <summary>What StartAsync does, given the session and the 1-based attempt number (default: complete at once).</summary>
    public Func<FakeSession, int, Task> OnStart { get; init; } = (session, _) =>
    {
        session.Publish(new TorrentStatus(TorrentState.Seeding, 1.0, session.Torrent.TotalLength, 0, 0, 0, null));
        return Task.CompletedTask;
    };

    /// <summary>What Add does before it returns a session (throw to refuse the torrent).</summary>
    public Action<Torrent, TorrentSessionOptions>? OnAdd { get; init; }

    public IPEndPoint ListenEndPoint { get; } = new(IPAddress.Loopback, 1);

    public ConcurrentQueue<InfoHash> Removed { get; } = new();

    public IReadOnlyCollection<FakeSession> Sessions => _sessions.Values.ToList();

    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public ITorrentSession Add(Torrent torrent, TorrentSessionOptions options)
    {
        OnAdd?.Invoke(torrent, options);
        return _sessions.GetOrAdd(torrent.InfoHash, _ => new FakeSession(this, torrent, options));
    }

    public bool TryGet(InfoHash infoHash, out ITorrentSession session)
    {
        var found = _sessions.TryGetValue(infoHash, out var fake);
        session = fake!;
        return found;
    }

    public Task RemoveAsync(InfoHash infoHash, CancellationToken cancellationToken = default)
    {
        if (_sessions.TryRemove(infoHash, out var session))
        {
            session.StopCount++;
        }

        Removed.Enqueue(infoHash);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public sealed class FakeSession(FakeTorrentEngine engine, Torrent torrent, TorrentSessionOptions options) : ITorrentSession
    {
        private int _starts;

        public Torrent Torrent { get; } = torrent;

        public TorrentSessionOptions Options { get; } = options;

        public TorrentStatus Status { get; private set; } = TorrentStatus.Initial;

        public int StartCount => Volatile.Read(ref _starts);

        public int StopCount { get; set; }

        public event EventHandler<TorrentStatus>? StatusChanged;

        public void Publish(TorrentStatus status)
        {
            Status = status;
            StatusChanged?.Invoke(this, status);
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => engine.OnStart(this, Interlocked.Increment(ref _starts));

        public Task StopAsync(CancellationToken cancellationToken = default)
        {
            StopCount++;
            Publish(Status with { State = TorrentState.Stopped });
            return Task.CompletedTask;
        }

        public Task PauseAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task ResumeAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public void AddPeers(IEnumerable<System.Net.IPEndPoint> endPoints)
        {
        }

        public ResumeData? CaptureResumeData() => null;
    }
}
