using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Engine.Client;

/// <summary>
/// From blocks to verified pieces: accepted blocks are gathered in a pooled buffer per piece while the engine's
/// <see cref="PieceMemory"/> has room; a piece whose last block lands is hashed and written on the thread pool (a task
/// the run waits for when it ends), then announced to every peer with <c>have</c>. A piece that does not fit in memory
/// is spilled: its blocks are written to disk as they arrive and it is read back to be hashed, so peers that leave
/// pieces unfinished cannot grow our memory. A piece that fails its hash is picked again, and a peer that was its only
/// source gets a strike (banned after <see cref="EngineSettings.BanAfterHashFailures"/>). Called under the swarm's
/// lock, except the hashing, reading and writing.
/// </summary>
internal sealed partial class PieceCompletion(Swarm swarm, RequestScheduler scheduler, PeerSet peerSet, TorrentStorage storage, PieceMemory memory, SessionRun run)
{
    /// <summary>Bytes read at a time when a spilled piece is read back to be hashed.</summary>
    private const int ReadBackChunk = 1024 * 1024;

    private readonly Dictionary<int, Partial> _partials = new();
    private readonly List<int> _cancelBuffer = new();
    private readonly List<(int Begin, int Length)> _rangeBuffer = new();
    private readonly List<int> _spillBuffer = new();

    /// <summary>Pieces that are not complete yet, in memory or spilled.</summary>
    public int PartialPieces => _partials.Count;

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

        var size = swarm.Torrent.GetPieceSize(message.Index);
        if (!_partials.TryGetValue(message.Index, out var partial))
        {
            partial = new Partial(memory.TryRent(size));
            _partials[message.Index] = partial;
        }

        partial.LastBlock = peer.LastBlock;

        if (partial.Buffer is { } buffer)
        {
            message.Payload.CopyTo(buffer.AsSpan(message.Begin, message.Length));
        }
        else
        {
            var block = ArrayPool<byte>.Shared.Rent(message.Length);
            message.Payload.CopyTo(block);
            var offset = (message.Index * swarm.Torrent.PieceLength) + message.Begin;
            var length = message.Length;
            partial.Writes.Add(run.Track(Task.Run(() => WriteBlock(offset, block, length))));
        }

        peer.Downloaded += message.Length;
        Volatile.Write(ref peer.LastPayload, peer.LastBlock);
        swarm.Totals.Downloaded += message.Length;

        // Endgame: the other peers asked for the same block are told not to send it.
        foreach (var other in _cancelBuffer)
        {
            swarm.Find(other)?.Send(new Outgoing(PeerMessageKind.Cancel, message.Index, message.Begin, message.Length));
        }

        if (result == BlockResult.PieceComplete)
        {
            _partials.Remove(message.Index);
            var contributors = swarm.Picker.Contributors(message.Index).ToArray();
            var piece = message.Index;
            if (partial.Buffer is { } whole)
            {
                run.Track(Task.Run(() => VerifyAndWrite(piece, whole, contributors)));
            }
            else
            {
                var writes = partial.Writes.ToArray();
                run.Track(VerifySpilledAsync(piece, writes, contributors));
            }
        }
    }

    /// <summary>
    /// Spills the pieces in memory that nobody is filling: those no peer is asked for now (their peers left or
    /// choked us) and those that had no block for <see cref="EngineSettings.PartialPieceIdleTimeout"/>. Their blocks
    /// so far are written to disk at their offsets and the buffer goes back to the <see cref="PieceMemory"/>; the
    /// piece can still complete later, from disk, like a piece that never fitted. Returns the pieces spilled.
    /// </summary>
    public int SpillAbandoned(long nowMs)
    {
        _spillBuffer.Clear();
        if (swarm.Closed)
        {
            return 0; // the run is ending: its buffers are given back as they are
        }

        foreach (var (piece, partial) in _partials)
        {
            if (partial.Buffer is not null
                && (swarm.Picker.PieceRequestCount(piece) == 0 || nowMs - partial.LastBlock >= swarm.Settings.PartialPieceIdleTimeout.TotalMilliseconds))
            {
                _spillBuffer.Add(piece);
            }
        }

        foreach (var piece in _spillBuffer)
        {
            Spill(piece, _partials[piece]);
        }

        return _spillBuffer.Count;
    }

    /// <summary>Gives back the buffers of pieces left unfinished (the run ended); what was spilled stays on disk, unverified.</summary>
    public void Discard()
    {
        foreach (var (piece, partial) in _partials)
        {
            if (partial.Buffer is { } buffer)
            {
                memory.Return(buffer, swarm.Torrent.GetPieceSize(piece));
            }
        }

        _partials.Clear();
    }

    /// <summary>The blocks of <paramref name="piece"/> received so far written from its buffer to disk (on the thread pool); from now on its blocks go to disk as they arrive.</summary>
    private void Spill(int piece, Partial partial)
    {
        var buffer = partial.Buffer!;
        partial.Buffer = null;
        _rangeBuffer.Clear();
        swarm.Picker.ReceivedRanges(piece, _rangeBuffer);
        var ranges = _rangeBuffer.ToArray();
        var start = piece * swarm.Torrent.PieceLength;
        var size = swarm.Torrent.GetPieceSize(piece);
        partial.Writes.Add(run.Track(Task.Run(() => WriteSpilled(start, buffer, size, ranges))));
        Log.Spilled(swarm.Logger, swarm.InfoHashHex, piece, ranges.Sum(r => (long)r.Length));
    }

    private void WriteSpilled(long start, byte[] buffer, int size, (int Begin, int Length)[] ranges)
    {
        try
        {
            foreach (var (begin, length) in ranges)
            {
                storage.Write(start + begin, buffer.AsSpan(begin, length));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Fail($"writing at offset {start} failed: {e.Message}");
        }
        finally
        {
            memory.Return(buffer, size);
        }
    }

    private void WriteBlock(long offset, byte[] block, int length)
    {
        try
        {
            storage.Write(offset, block.AsSpan(0, length));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Fail($"writing at offset {offset} failed: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>A spilled piece, once all its blocks are on disk: read back in chunks and hashed.</summary>
    private async Task VerifySpilledAsync(int piece, Task[] writes, int[] contributors)
    {
        await Task.WhenAll(writes).ConfigureAwait(false);
        await Task.Yield(); // hash on the thread pool, not on the last writer's continuation
        var size = swarm.Torrent.GetPieceSize(piece);
        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(size, ReadBackChunk));
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            for (var done = 0; done < size;)
            {
                var length = Math.Min(chunk.Length, size - done);
                storage.Read((piece * swarm.Torrent.PieceLength) + done, chunk.AsSpan(0, length));
                hash.AppendData(chunk, 0, length);
                done += length;
            }

            Span<byte> digest = stackalloc byte[20];
            hash.GetHashAndReset(digest);
            Checked(piece, digest.SequenceEqual(swarm.Torrent.GetPieceHash(piece)), contributors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            run.Fail($"reading back piece {piece} failed: {e.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
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
            memory.Return(buffer, size);
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

        var strikes = peerSet.Strike(peer.PeerId, peer.Remote, swarm.Settings.BanAfterHashFailures);
        if (strikes == swarm.Settings.BanAfterHashFailures)
        {
            Log.Banned(swarm.Logger, swarm.InfoHashHex, peer.Remote.ToString(), strikes); // once: later strikes are pieces it sent before it was closed
        }

        if (strikes >= swarm.Settings.BanAfterHashFailures)
        {
            peer.Close("banned: sent bad data");
        }
    }

    /// <summary>An unfinished piece: its buffer while it is in memory, and the disk writes of its blocks once it is not (spilled).</summary>
    private sealed class Partial(byte[]? buffer)
    {
        public byte[]? Buffer { get; set; } = buffer;

        public List<Task> Writes { get; } = new();

        /// <summary>When its last block arrived (<see cref="Environment.TickCount64"/>).</summary>
        public long LastBlock { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(8, LogLevel.Warning, "Torrent {InfoHash}: piece {Piece} failed its hash ({Contributors} peers took part)")]
        public static partial void HashFailed(ILogger logger, string infoHash, int piece, int contributors);

        [LoggerMessage(9, LogLevel.Warning, "Torrent {InfoHash}: banned {EndPoint} after {Strikes} bad pieces")]
        public static partial void Banned(ILogger logger, string infoHash, string endPoint, int strikes);

        [LoggerMessage(14, LogLevel.Debug, "Torrent {InfoHash}: piece {Piece} spilled to disk ({Bytes} bytes received so far, no peer filling it)")]
        public static partial void Spilled(ILogger logger, string infoHash, int piece, long bytes);
    }
}
