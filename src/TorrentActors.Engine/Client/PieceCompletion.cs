using System.Buffers;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Engine.Client;

/// <summary>
/// From blocks to verified pieces: accepted blocks are gathered in a pooled buffer per piece; a piece whose last block
/// lands is hashed and written on the thread pool (a task the run waits for when it ends), then announced to every
/// peer with <c>have</c>. A piece that fails its hash is picked again, and a peer that was its only source gets a
/// strike (banned after <see cref="EngineSettings.BanAfterHashFailures"/>). Called under the swarm's lock, except the
/// hashing and writing.
/// </summary>
internal sealed partial class PieceCompletion(Swarm swarm, RequestScheduler scheduler, PeerSet peerSet, TorrentStorage storage, SessionRun run)
{
    private readonly Dictionary<int, byte[]> _buffers = new();
    private readonly List<int> _cancelBuffer = new();

    /// <summary>Blocks of pieces that are not complete yet, in memory.</summary>
    public int PartialPieces => _buffers.Count;

    /// <summary>Takes a block the peer sent (a <c>piece</c> message); blocks we did not ask for or already have are dropped.</summary>
    public void BlockReceived(PeerConnection peer, in PeerMessage message)
    {
        peer.LastBlock = Environment.TickCount64;
        _cancelBuffer.Clear();
        var result = swarm.Picker.BlockReceived(peer.Id, message.Index, message.Begin, message.Length, _cancelBuffer);
        if (result is not (BlockResult.Accepted or BlockResult.PieceComplete))
        {
            return;
        }

        if (!_buffers.TryGetValue(message.Index, out var buffer))
        {
            buffer = ArrayPool<byte>.Shared.Rent(swarm.Torrent.GetPieceSize(message.Index));
            _buffers[message.Index] = buffer;
        }

        message.Payload.CopyTo(buffer.AsSpan(message.Begin, message.Length));
        peer.Downloaded += message.Length;
        swarm.Totals.Downloaded += message.Length;

        // Endgame: the other peers asked for the same block are told not to send it.
        foreach (var other in _cancelBuffer)
        {
            swarm.Find(other)?.Send(new Outgoing(PeerMessageKind.Cancel, message.Index, message.Begin, message.Length));
        }

        if (result == BlockResult.PieceComplete)
        {
            _buffers.Remove(message.Index);
            var contributors = swarm.Picker.Contributors(message.Index).ToArray();
            var piece = message.Index;
            run.Track(Task.Run(() => VerifyAndWrite(piece, buffer, contributors)));
        }
    }

    /// <summary>Gives back the buffers of pieces left unfinished (the run ended).</summary>
    public void Discard()
    {
        foreach (var buffer in _buffers.Values)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _buffers.Clear();
    }

    private void VerifyAndWrite(int piece, byte[] buffer, int[] contributors)
    {
        var size = swarm.Torrent.GetPieceSize(piece);
        try
        {
            var good = storage.HashMatches(piece, buffer.AsSpan(0, size));
            if (good)
            {
                storage.Write(piece * swarm.Torrent.PieceLength, buffer.AsSpan(0, size));
            }

            Checked(piece, good, contributors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Fail($"writing piece {piece} failed: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Checked(int piece, bool good, int[] contributors)
    {
        var completed = false;
        lock (swarm.Sync)
        {
            if (good)
            {
                swarm.Picker.PieceVerified(piece);
                completed = swarm.Picker.IsComplete;
                foreach (var peer in swarm.Peers)
                {
                    peer.Send(new Outgoing(PeerMessageKind.Have, piece));
                    if (peer.AmInterested && peer.PeerHas is { } has && !swarm.Picker.IsInteresting(has))
                    {
                        scheduler.UpdateInterest(peer);
                    }
                }
            }
            else
            {
                swarm.Picker.PieceFailed(piece);
                Log.HashFailed(swarm.Logger, swarm.InfoHashHex, piece, contributors.Length);
                if (contributors.Length == 1)
                {
                    Strike(contributors[0]);
                }

                scheduler.FillAll();
            }
        }

        if (completed)
        {
            run.Completed();
        }

        run.Progressed();
    }

    private void Strike(int peerId)
    {
        if (swarm.Find(peerId) is not { } peer)
        {
            return;
        }

        var strikes = peerSet.Strike(peer.PeerId, peer.Remote, peer.Outgoing, swarm.Settings.BanAfterHashFailures);
        if (strikes == swarm.Settings.BanAfterHashFailures)
        {
            Log.Banned(swarm.Logger, swarm.InfoHashHex, peer.Remote.ToString(), strikes); // once: later strikes are pieces it sent before it was closed
        }

        if (strikes >= swarm.Settings.BanAfterHashFailures)
        {
            peer.Close("banned: sent bad data");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(8, LogLevel.Warning, "Torrent {InfoHash}: piece {Piece} failed its hash ({Contributors} peers took part)")]
        public static partial void HashFailed(ILogger logger, string infoHash, int piece, int contributors);

        [LoggerMessage(9, LogLevel.Warning, "Torrent {InfoHash}: banned {EndPoint} after {Strikes} bad pieces")]
        public static partial void Banned(ILogger logger, string infoHash, string endPoint, int strikes);
    }
}
