using TorrentActors.Actors.Cluster;
using TorrentActors.Engine.Metainfo;
using System.Collections.Immutable;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Client;

namespace TorrentActors.Actors.Monitoring;

/// <summary>
/// The monitor's state and decisions as pure functions: it keeps ID → (name, percent) and emits a line only when
/// something changes — a new torrent (percent -1), then each rise of the whole-number percentage.
/// </summary>
public sealed record MonitorState(ImmutableSortedDictionary<TorrentId, NodeOutputs.Progress> Torrents)
{
    public static readonly MonitorState Empty = new(ImmutableSortedDictionary<TorrentId, NodeOutputs.Progress>.Empty
        .WithComparers(Comparer<TorrentId>.Create((a, b) => a.Value.CompareTo(b.Value))));

    /// <summary>True once there is at least one torrent and every torrent is at 100.</summary>
    public bool AllComplete => !Torrents.IsEmpty && Torrents.Values.All(t => t.Percent >= 100);

    /// <summary>The lines to emit for <paramref name="report"/>: none, the first -1, and/or a higher percentage.</summary>
    public static IReadOnlyList<NodeOutputs.Progress> Decide(MonitorState state, TorrentEvents.StatusReported report)
    {
        var percent = PercentOf(report.Status);
        var current = ToProgress(report, percent);
        if (!state.Torrents.TryGetValue(report.Id, out var known))
        {
            var first = ToProgress(report, -1);
            return percent > -1 ? [first, current] : [first];
        }

        return percent > known.Percent ? [current] : [];
    }

    public static MonitorState Apply(MonitorState state, NodeOutputs.Progress progress) =>
        new(state.Torrents.SetItem(progress.Id, progress));

    /// <summary>Keeps the rates, state and peer count fresh without emitting (they show in <c>status</c> replies).</summary>
    public static MonitorState Refresh(MonitorState state, TorrentEvents.StatusReported report) =>
        state.Torrents.TryGetValue(report.Id, out var known)
            ? new(state.Torrents.SetItem(report.Id, ToProgress(report, known.Percent)))
            : state;

    public static MonitorState Forget(MonitorState state, TorrentId id) => new(state.Torrents.Remove(id));

    /// <summary>
    /// -1 while the torrent has not started (stopped or checking) and nothing is verified, and for an error (which
    /// the patron reports itself); else the whole percent (0..100). So a seeded file goes from -1 straight to 100.
    /// </summary>
    public static int PercentOf(TorrentStatus status)
    {
        if (status.State == TorrentState.Error
            || (status.State is TorrentState.Stopped or TorrentState.Checking && status.BytesVerified == 0 && status.Progress <= 0))
        {
            return -1;
        }

        return Math.Clamp(status.WholePercent, 0, 100);
    }

    private static NodeOutputs.Progress ToProgress(TorrentEvents.StatusReported report, int percent) => new(
        report.Id,
        report.Name,
        percent,
        report.InfoHash,
        report.Status.State,
        report.Status.DownloadRate,
        report.Status.UploadRate,
        report.Status.PeerCount,
        report.Status.TrackerError);

    /// <summary>
    /// The <c>status</c> lines: every torrent this node has, and in a cluster every torrent of the catalog, each with
    /// its replicas (a torrent held elsewhere shows its best copy's percentage), in ID order.
    /// </summary>
    public static IEnumerable<NodeOutputs.Progress> WithReplicas(MonitorState state, ImmutableArray<ReplicaView> cluster)
    {
        if (cluster.IsDefaultOrEmpty)
        {
            return state.Torrents.Values;
        }

        var lines = new SortedDictionary<int, NodeOutputs.Progress>();
        foreach (var torrent in state.Torrents.Values)
        {
            lines[torrent.Id.Value] = torrent;
        }

        foreach (var view in cluster)
        {
            var held = lines.TryGetValue(view.Entry.Id, out var local);
            var copies = view.Copies
                .Select(c => new NodeOutputs.ReplicaCopy(c.Key, c.Value.Percent, c.Value.Complete, view.Holders.Contains(c.Key)))
                .ToImmutableArray();
            var summary = new NodeOutputs.ReplicaSummary(view.Target, view.AtTarget, held, copies);
            if (held)
            {
                lines[view.Entry.Id] = local! with { Replicas = summary };
            }
            else if (InfoHash.TryParseHex(view.Entry.InfoHash, out var hash))
            {
                var best = copies.IsEmpty ? -1 : copies.Max(c => c.Percent);
                lines[view.Entry.Id] = new NodeOutputs.Progress(new TorrentId(view.Entry.Id), view.Entry.Name, best, hash, TorrentState.Stopped, 0, 0, 0, null, summary);
            }
        }

        return lines.Values;
    }
}
