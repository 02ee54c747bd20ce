using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;

namespace TorrentActors.Engine.Client;

/// <summary>
/// Carries out the upload decisions of <see cref="Choker"/> (each rechoke) and <see cref="UploadSlots"/> (between
/// rechokes) on the swarm's connections. Called under the swarm's lock.
/// </summary>
internal sealed class UploadChoking(Swarm swarm)
{
    private readonly Choker _choker = new(swarm.Settings.UnchokeSlots, TimeSpan.FromSeconds(30));
    private readonly long _startTicks = Environment.TickCount64;

    /// <summary>Unchokes <paramref name="peer"/> at once if a slot is free.</summary>
    public void UnchokeIfRoom(PeerConnection peer)
    {
        if (!swarm.Closed && peer.AmChoking && UploadSlots.HasRoom(UploadSlots.Used(Candidates()), swarm.Settings.UnchokeSlots))
        {
            SetChoking(peer, false);
        }
    }

    /// <summary>
    /// Gives the upload slots that a peer left (it went away or lost interest) to interested peers that wait, at once
    /// and least-served first, instead of at the next rechoke up to <see cref="EngineSettings.ChokeInterval"/> later.
    /// Without this, the last leechers of a swarm sat choked by the seeder for up to 10 s once the first ones had
    /// finished and left.
    /// </summary>
    public void FillFreeSlots()
    {
        if (swarm.Closed)
        {
            return;
        }

        foreach (var id in UploadSlots.FillFree(Candidates().ToList(), swarm.Settings.UnchokeSlots))
        {
            SetChoking(swarm.Find(id)!, false);
        }
    }

    /// <summary>The periodic rechoke: the choker's choice is unchoked, everyone else choked.</summary>
    public void Rechoke()
    {
        var candidates = swarm.Peers.Select(p => new ChokeCandidate(p.Id, p.PeerInterested, p.DownloadRate, p.UploadRate)).ToList();
        var unchoke = _choker.Decide(candidates, swarm.Picker.IsComplete, TimeSpan.FromMilliseconds(Environment.TickCount64 - _startTicks));
        foreach (var peer in swarm.Peers)
        {
            var choke = !unchoke.Contains(peer.Id);
            if (choke != peer.AmChoking)
            {
                SetChoking(peer, choke);
            }
        }
    }

    private IEnumerable<SlotCandidate> Candidates() =>
        swarm.Peers.Where(p => !p.IsClosed).Select(p => new SlotCandidate(p.Id, p.AmChoking, p.PeerInterested, Interlocked.Read(ref p.Uploaded)));

    private static void SetChoking(PeerConnection peer, bool choke)
    {
        peer.AmChoking = choke;
        peer.Send(new Outgoing(choke ? PeerMessageKind.Choke : PeerMessageKind.Unchoke));
    }
}
