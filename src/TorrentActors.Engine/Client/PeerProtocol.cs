using Microsoft.Extensions.Logging;
using TorrentActors.Engine.PeerWire;

namespace TorrentActors.Engine.Client;

/// <summary>
/// The peer wire protocol of one run (BEP 3, with the fast extension of BEP 6 and the extension handshake of
/// BEP 10): the opening messages, and what each message a peer sends does. Requests for blocks are answered by
/// queueing them; the connection's writer reads the data from disk. A message that breaks the protocol throws
/// <see cref="PeerProtocolException"/>, which closes that connection. Called under the swarm's lock.
/// </summary>
internal sealed partial class PeerProtocol(Swarm swarm, RequestScheduler scheduler, UploadChoking choking, PieceCompletion completion, int announcedPort)
{
    /// <summary>Most pieces a peer may name as allowed fast; more are ignored.</summary>
    private const int MaxAllowedFast = 64;

    /// <summary>
    /// What we say right after the handshake: have all / have none (BEP 6) or the bitfield, then the extension
    /// handshake (BEP 10); and an unchoke at once when a slot is free, since some clients (transmission) only look
    /// at their interest again on a timer.
    /// </summary>
    public void Open(PeerConnection peer)
    {
        var have = swarm.Picker.Have;
        if (peer.SupportsFast && have.AllSet)
        {
            peer.Send(new Outgoing(PeerMessageKind.HaveAll));
        }
        else if (peer.SupportsFast && have.IsEmpty)
        {
            peer.Send(new Outgoing(PeerMessageKind.HaveNone));
        }
        else if (!have.IsEmpty)
        {
            peer.Send(new Outgoing(PeerMessageKind.Bitfield, Payload: have.Bytes.ToArray()));
        }

        if (peer.SupportsExtensions)
        {
            var extension = new ExtensionHandshake(new Dictionary<string, int>(), swarm.Settings.ClientName, swarm.Settings.MaxIncomingRequests, announcedPort);
            peer.Send(new Outgoing(PeerMessageKind.Extended, Payload: extension.Encode(), ExtendedId: 0));
        }

        if (!have.IsEmpty)
        {
            choking.UnchokeIfRoom(peer);
        }
    }

    /// <summary>
    /// The peer left: its pieces no longer count as available, its requests go to others, its slot to a waiting peer,
    /// and the pieces in memory that no one is asked for now go to disk (their memory is given back).
    /// </summary>
    public void Closed(PeerConnection peer)
    {
        if (peer.PeerHas is { } has)
        {
            swarm.Picker.RemoveAvailability(has);
        }

        swarm.Picker.ReleasePeer(peer.Id);
        scheduler.RefillOthers(peer);
        choking.FillFreeSlots();
        completion.SpillAbandoned(Environment.TickCount64);
    }

    public void Handle(PeerConnection peer, in PeerMessage message)
    {
        if (message.Kind != PeerMessageKind.Piece)
        {
            Log.Received(swarm.Logger, peer.Id, message.Kind, message.Index);
        }

        if (message.Kind is not (PeerMessageKind.KeepAlive or PeerMessageKind.Port or PeerMessageKind.Unknown or PeerMessageKind.Extended))
        {
            peer.SentUseful = true;
        }

        switch (message.Kind)
        {
            case PeerMessageKind.KeepAlive or PeerMessageKind.Port or PeerMessageKind.Unknown or PeerMessageKind.Suggest:
                break;
            case PeerMessageKind.Choke:
                peer.PeerChoking = true;
                swarm.Picker.ReleasePeer(peer.Id);
                scheduler.RefillOthers(peer);
                scheduler.Fill(peer);
                break;
            case PeerMessageKind.Unchoke:
                peer.PeerChoking = false;
                peer.LastBlock = Environment.TickCount64;
                scheduler.Fill(peer);
                break;
            case PeerMessageKind.Interested:
                peer.PeerInterested = true;
                choking.UnchokeIfRoom(peer);
                break;
            case PeerMessageKind.NotInterested:
                peer.PeerInterested = false;
                choking.FillFreeSlots();
                break;
            case PeerMessageKind.Have:
                CheckIndex(message.Index);
                peer.PeerHas ??= new BitField(swarm.Torrent.PieceCount);
                if (!peer.PeerHas[message.Index])
                {
                    peer.PeerHas[message.Index] = true;
                    swarm.Picker.AddAvailability(message.Index);
                }

                scheduler.UpdateInterest(peer);
                break;
            case PeerMessageKind.Bitfield:
                ReplaceBitfield(peer, BitField.FromWire(message.Payload, swarm.Torrent.PieceCount));
                break;
            case PeerMessageKind.HaveAll or PeerMessageKind.HaveNone:
                RequireFast(peer, "have all/none");
                var field = new BitField(swarm.Torrent.PieceCount);
                if (message.Kind == PeerMessageKind.HaveAll)
                {
                    field.SetAll();
                }

                ReplaceBitfield(peer, field);
                break;
            case PeerMessageKind.Request:
                HandleRequest(peer, message);
                break;
            case PeerMessageKind.Cancel:
                lock (peer.Cancelled)
                {
                    if (peer.PendingUploads > 0 && peer.Cancelled.Count < swarm.Settings.MaxIncomingRequests)
                    {
                        peer.Cancelled.Add(((long)message.Index << 32) | (uint)message.Begin);
                    }
                }

                break;
            case PeerMessageKind.Piece:
                completion.BlockReceived(peer, message);
                scheduler.Fill(peer);
                break;
            case PeerMessageKind.Reject:
                RequireFast(peer, "reject");
                swarm.Picker.Release(peer.Id, message.Index, message.Begin);
                break;
            case PeerMessageKind.AllowedFast:
                CheckIndex(message.Index);
                if (peer.AllowedFast.Count < MaxAllowedFast)
                {
                    peer.AllowedFast.Add(message.Index);
                }

                scheduler.Fill(peer);
                break;
            case PeerMessageKind.Extended when message.ExtendedId == 0:
                var extension = ExtensionHandshake.Parse(message.Payload);
                peer.PeerRequestQueue = extension.RequestQueue;
                peer.ClientName = extension.Client;
                peer.ListenPort = extension.ListenPort;
                break;
        }
    }

    private static void RequireFast(PeerConnection peer, string what)
    {
        if (!peer.SupportsFast)
        {
            throw new PeerProtocolException($"{what} without the fast extension");
        }
    }

    private void CheckIndex(int index)
    {
        if (index < 0 || index >= swarm.Torrent.PieceCount)
        {
            throw new PeerProtocolException($"piece index {index} is out of range");
        }
    }

    private void ReplaceBitfield(PeerConnection peer, BitField field)
    {
        // BEP 3 wants the bitfield first, but real clients send it after the extension handshake or
        // even twice (aria2 resends it): a later one simply replaces what we knew.
        if (peer.PeerHas is { } old)
        {
            swarm.Picker.RemoveAvailability(old);
        }

        peer.PeerHas = field;
        swarm.Picker.AddAvailability(field);
        scheduler.UpdateInterest(peer);
    }

    /// <summary>A request we serve is queued for the writer; one we will not serve is rejected (BEP 6) or dropped.</summary>
    private void HandleRequest(PeerConnection peer, in PeerMessage message)
    {
        var valid = message.Index >= 0 && message.Index < swarm.Torrent.PieceCount && message.Length is > 0 and <= PeerWireConstants.BlockSize
            && message.Begin >= 0 && (long)message.Begin + message.Length <= swarm.Torrent.GetPieceSize(message.Index);
        if (!valid)
        {
            throw new PeerProtocolException($"bad request {message.Index}/{message.Begin}/{message.Length}");
        }

        if (!peer.AmChoking && swarm.Picker.Have[message.Index] && peer.PendingUploads < swarm.Settings.MaxIncomingRequests)
        {
            Interlocked.Increment(ref peer.PendingUploads);
            peer.Send(new Outgoing(PeerMessageKind.Piece, message.Index, message.Begin, message.Length));
        }
        else if (peer.SupportsFast)
        {
            peer.Send(new Outgoing(PeerMessageKind.Reject, message.Index, message.Begin, message.Length));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(11, LogLevel.Trace, "Peer {Peer} sent {Kind} {Index}")]
        public static partial void Received(ILogger logger, int peer, PeerMessageKind kind, int index);
    }
}
