using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;

namespace TorrentActors.Engine.Client;

/// <summary>
/// What we ask peers for: interest (BEP 3), enough block requests in flight for each peer's rate, and while a peer
/// chokes us the pieces it allows fast (BEP 6). Which blocks to ask for, and the endgame, are the
/// <see cref="PiecePicker"/>'s. Called under the swarm's lock.
/// </summary>
internal sealed class RequestScheduler(Swarm swarm)
{
    /// <summary>Requests kept outstanding with a peer that chokes us but allows some pieces fast (BEP 6).</summary>
    private const int AllowedFastRequests = 16;

    private readonly List<BlockRequest> _pickBuffer = new();

    /// <summary>Tells the peer whether we are interested, when that changed, and asks it for blocks if we are.</summary>
    public void UpdateInterest(PeerConnection peer)
    {
        var interesting = peer.PeerHas is { } has && swarm.Picker.IsInteresting(has);
        if (interesting != peer.AmInterested)
        {
            peer.AmInterested = interesting;
            peer.Send(new Outgoing(interesting ? PeerMessageKind.Interested : PeerMessageKind.NotInterested));
        }

        if (interesting)
        {
            Fill(peer);
        }
    }

    /// <summary>Tops up the peer's requests to about two seconds of its rate (16 to the setting's most; 64 for a new peer).</summary>
    public void Fill(PeerConnection peer)
    {
        if (swarm.Closed || !peer.AmInterested || peer.PeerHas is null || swarm.Picker.IsComplete)
        {
            return;
        }

        if (peer.PeerChoking)
        {
            FillAllowedFast(peer);
            return;
        }

        var target = peer.DownloadRate == 0 ? 64 : Math.Clamp((int)(2 * peer.DownloadRate / PeerWireConstants.BlockSize), 16, swarm.Settings.MaxOutstandingRequests);
        target = Math.Min(target, peer.PeerRequestQueue ?? 250);
        var outstanding = swarm.Picker.RequestCount(peer.Id);
        var deficit = target - outstanding;
        if (deficit < Math.Min(8, target / 4) && outstanding > 0)
        {
            return;
        }

        if (outstanding == 0)
        {
            peer.LastBlock = Environment.TickCount64;
        }

        Request(peer, peer.PeerHas, deficit);
    }

    /// <summary>
    /// Blocks released by <paramref name="gone"/> (it choked us or left) are offered to the other peers now:
    /// otherwise a peer with nothing in flight is only asked again when it sends something, which near the
    /// end of a swarm may be never.
    /// </summary>
    public void RefillOthers(PeerConnection gone)
    {
        foreach (var other in swarm.Peers)
        {
            if (other != gone)
            {
                Fill(other);
            }
        }
    }

    /// <summary>Every open connection topped up (a safety net, so no peer idles while it has blocks we miss).</summary>
    public void FillAll()
    {
        foreach (var peer in swarm.Peers)
        {
            if (!peer.IsClosed)
            {
                Fill(peer);
            }
        }
    }

    /// <summary>
    /// While a peer chokes us, asks it for blocks of the pieces it said we may have anyway (BEP 6 allowed fast), up
    /// to a few at a time: a peer that just met us can start us off before it unchokes us.
    /// </summary>
    private void FillAllowedFast(PeerConnection peer)
    {
        if (!peer.SupportsFast || peer.AllowedFast.Count == 0)
        {
            return;
        }

        var allowed = new BitField(swarm.Torrent.PieceCount);
        foreach (var piece in peer.AllowedFast)
        {
            allowed[piece] = peer.PeerHas![piece] && !swarm.Picker.Have[piece];
        }

        var deficit = AllowedFastRequests - swarm.Picker.RequestCount(peer.Id);
        if (allowed.TrueCount > 0 && deficit > 0)
        {
            Request(peer, allowed, deficit);
        }
    }

    private void Request(PeerConnection peer, BitField from, int count)
    {
        _pickBuffer.Clear();
        swarm.Picker.Pick(peer.Id, from, count, _pickBuffer);
        foreach (var request in _pickBuffer)
        {
            peer.Send(new Outgoing(PeerMessageKind.Request, request.Piece, request.Begin, request.Length));
        }
    }
}
