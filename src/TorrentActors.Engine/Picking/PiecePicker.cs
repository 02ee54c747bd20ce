using TorrentActors.Engine.PeerWire;

namespace TorrentActors.Engine.Picking;

public readonly record struct BlockRequest(int Piece, int Begin, int Length);

public enum BlockResult
{
    /// <summary>We never asked this peer for the block (or the piece is done): ignore it.</summary>
    NotRequested,

    /// <summary>Someone else delivered it first (endgame).</summary>
    Duplicate,

    Accepted,

    /// <summary>Accepted, and it was the piece's last missing block: hash it.</summary>
    PieceComplete,
}

/// <summary>
/// Which blocks to ask which peer for: partial pieces first, the first few pieces at random, then rarest first,
/// and an endgame that asks a second peer for blocks still outstanding. Peers are plain ids; no I/O, no clock.
/// Not thread-safe: the session calls it under its lock.
/// </summary>
public sealed class PiecePicker
{
    public const int RandomFirstPieces = 4;
    public const int EndgameDuplicates = 2;

    private readonly long _totalLength;
    private readonly int _pieceLength;
    private readonly int[] _availability;
    private readonly Dictionary<int, PartialPiece> _partial = new();
    private readonly Dictionary<int, HashSet<long>> _requests = new();
    private readonly HashSet<int> _exclusiveRetry = new();
    private readonly Random _random;
    private int _pendingHash;

    public PiecePicker(int pieceCount, long pieceLength, long totalLength, Random? random = null)
    {
        _pieceLength = checked((int)pieceLength);
        _totalLength = totalLength;
        Have = new BitField(pieceCount);
        _availability = new int[pieceCount];
        _random = random ?? new Random();
    }

    public BitField Have { get; }

    public int PieceCount => Have.Length;

    public bool IsComplete => Have.AllSet;

    /// <summary>Bytes in the pieces we have (the last piece counted at its own size).</summary>
    public long VerifiedBytes
    {
        get
        {
            if (Have.AllSet)
            {
                return _totalLength;
            }

            var last = PieceCount - 1;
            var bytes = (long)Have.TrueCount * _pieceLength;
            return last >= 0 && Have[last] ? bytes - (_pieceLength - PieceSize(last)) : bytes;
        }
    }

    public int PartialCount => _partial.Count;

    public IEnumerable<int> PartialPieces => _partial.Keys;

    public int Availability(int piece) => _availability[piece];

    public int PieceSize(int piece) =>
        piece < PieceCount - 1 ? _pieceLength : (int)(_totalLength - ((long)piece * _pieceLength));

    public int BlockCount(int piece) => (PieceSize(piece) + PeerWireConstants.BlockSize - 1) / PeerWireConstants.BlockSize;

    public void SetHave(int piece)
    {
        Have[piece] = true;
        _partial.Remove(piece);
        _exclusiveRetry.Remove(piece);
    }

    public void AddAvailability(BitField peerHas)
    {
        for (var i = 0; i < PieceCount; i++)
        {
            if (peerHas[i])
            {
                _availability[i]++;
            }
        }
    }

    public void RemoveAvailability(BitField peerHas)
    {
        for (var i = 0; i < PieceCount; i++)
        {
            if (peerHas[i] && _availability[i] > 0)
            {
                _availability[i]--;
            }
        }
    }

    public void AddAvailability(int piece) => _availability[piece]++;

    /// <summary>True when <paramref name="peerHas"/> holds a piece we still miss.</summary>
    public bool IsInteresting(BitField peerHas)
    {
        if (peerHas.AllSet)
        {
            return !Have.AllSet;
        }

        for (var i = 0; i < PieceCount; i++)
        {
            if (peerHas[i] && !Have[i])
            {
                return true;
            }
        }

        return false;
    }

    public int RequestCount(int peer) => _requests.TryGetValue(peer, out var set) ? set.Count : 0;

    public IReadOnlyCollection<int> Contributors(int piece) =>
        _partial.TryGetValue(piece, out var p) ? p.Contributors : Array.Empty<int>();

    /// <summary>Adds up to <paramref name="max"/> new requests for <paramref name="peer"/> to <paramref name="output"/> and marks them requested.</summary>
    public int Pick(int peer, BitField peerHas, int max, List<BlockRequest> output)
    {
        if (max <= 0 || IsComplete)
        {
            return 0;
        }

        var requests = RequestsOf(peer);
        var added = 0;

        // 1. Finish partial pieces first (fewest missing blocks first keeps the number of open pieces small).
        foreach (var partial in _partial.Values)
        {
            if (added >= max)
            {
                return added;
            }

            if (peerHas[partial.Index] && partial.MayServe(peer) && partial.UnrequestedCount > 0)
            {
                added += TakeBlocks(partial, peer, requests, max - added, output, duplicates: false);
            }
        }

        // 2. Start new pieces: random for the first few, then rarest first.
        while (added < max)
        {
            var piece = ChooseNewPiece(peerHas);
            if (piece < 0)
            {
                break;
            }

            var partial = new PartialPiece(piece, BlockCount(piece), PieceSize(piece));
            partial.Exclusive = _exclusiveRetry.Contains(piece);

            _partial[piece] = partial;
            added += TakeBlocks(partial, peer, requests, max - added, output, duplicates: false);
        }

        // 3. Endgame: nothing new left to start; ask for blocks still in flight with someone else.
        if (added < max && InEndgame())
        {
            foreach (var partial in _partial.Values)
            {
                if (added >= max)
                {
                    break;
                }

                if (peerHas[partial.Index] && !partial.Hashing)
                {
                    added += TakeBlocks(partial, peer, requests, max - added, output, duplicates: true);
                }
            }
        }

        return added;
    }

    /// <summary>Records a block from <paramref name="peer"/>; <paramref name="cancelFor"/> receives the other peers that had asked for it.</summary>
    public BlockResult BlockReceived(int peer, int piece, int begin, int length, List<int>? cancelFor = null)
    {
        if (piece < 0 || piece >= PieceCount || !_partial.TryGetValue(piece, out var partial) || partial.Hashing)
        {
            return BlockResult.NotRequested;
        }

        if (begin % PeerWireConstants.BlockSize != 0)
        {
            return BlockResult.NotRequested;
        }

        var block = begin / PeerWireConstants.BlockSize;
        if (block >= partial.BlockCount || length != partial.BlockLength(block))
        {
            return BlockResult.NotRequested;
        }

        var key = Key(piece, block);
        var requests = RequestsOf(peer);
        if (!requests.Remove(key))
        {
            return BlockResult.NotRequested;
        }

        partial.RequestCounts[block]--;
        if (partial.Received[block])
        {
            return BlockResult.Duplicate;
        }

        partial.Received[block] = true;
        partial.ReceivedCount++;
        partial.Contributors.Add(peer);
        if (partial.RequestCounts[block] > 0)
        {
            foreach (var (other, set) in _requests)
            {
                if (other != peer && set.Remove(key))
                {
                    partial.RequestCounts[block]--;
                    cancelFor?.Add(other);
                }
            }
        }

        if (partial.ReceivedCount == partial.BlockCount)
        {
            partial.Hashing = true;
            _pendingHash++;
            return BlockResult.PieceComplete;
        }

        return BlockResult.Accepted;
    }

    public void PieceVerified(int piece)
    {
        if (_partial.Remove(piece))
        {
            _pendingHash--;
        }

        SetHave(piece);
    }

    /// <summary>The piece failed its hash: start it again (from one peer only if several took part).</summary>
    public void PieceFailed(int piece)
    {
        if (_partial.Remove(piece, out var partial))
        {
            _pendingHash--;
            if (partial.Contributors.Count > 1)
            {
                _exclusiveRetry.Add(piece);
            }
        }
    }

    /// <summary>Forgets every request outstanding with <paramref name="peer"/> (choked us, rejected all, or left).</summary>
    public void ReleasePeer(int peer)
    {
        if (!_requests.Remove(peer, out var set))
        {
            return;
        }

        foreach (var key in set)
        {
            if (_partial.TryGetValue((int)(key >> 32), out var partial))
            {
                partial.RequestCounts[(int)(key & 0xFFFFFFFF)]--;
            }
        }

        foreach (var partial in _partial.Values)
        {
            if (partial.Owner == peer)
            {
                partial.Owner = -1;
            }
        }
    }

    /// <summary>One request was rejected (BEP 6) or cancelled: it may be asked of someone else.</summary>
    public void Release(int peer, int piece, int begin)
    {
        var block = begin / PeerWireConstants.BlockSize;
        if (_requests.TryGetValue(peer, out var set) && set.Remove(Key(piece, block)) && _partial.TryGetValue(piece, out var partial))
        {
            partial.RequestCounts[block]--;
        }
    }

    /// <summary>Requests outstanding for blocks of <paramref name="piece"/>, over all peers (0 for a piece not started).</summary>
    public int PieceRequestCount(int piece)
    {
        if (!_partial.TryGetValue(piece, out var partial))
        {
            return 0;
        }

        var n = 0;
        foreach (var count in partial.RequestCounts)
        {
            n += count;
        }

        return n;
    }

    /// <summary>
    /// The runs of consecutive blocks of <paramref name="piece"/> received so far, as (begin, length) in the piece,
    /// added to <paramref name="output"/>; nothing for a piece not started.
    /// </summary>
    public void ReceivedRanges(int piece, List<(int Begin, int Length)> output)
    {
        if (!_partial.TryGetValue(piece, out var partial))
        {
            return;
        }

        var block = 0;
        while (block < partial.BlockCount)
        {
            if (!partial.Received[block])
            {
                block++;
                continue;
            }

            var first = block;
            var length = 0;
            while (block < partial.BlockCount && partial.Received[block])
            {
                length += partial.BlockLength(block);
                block++;
            }

            output.Add((first * PeerWireConstants.BlockSize, length));
        }
    }

    public IEnumerable<BlockRequest> RequestsOutstanding(int peer)
    {
        if (!_requests.TryGetValue(peer, out var set))
        {
            yield break;
        }

        foreach (var key in set)
        {
            var piece = (int)(key >> 32);
            var block = (int)(key & 0xFFFFFFFF);
            var size = PieceSize(piece);
            var begin = block * PeerWireConstants.BlockSize;
            yield return new BlockRequest(piece, begin, Math.Min(PeerWireConstants.BlockSize, size - begin));
        }
    }

    private bool InEndgame()
    {
        var missing = PieceCount - Have.TrueCount;
        return missing > 0 && missing == _partial.Count;
    }

    private int ChooseNewPiece(BitField peerHas)
    {
        var random = Have.TrueCount + _pendingHash < RandomFirstPieces;
        var best = -1;
        var bestAvailability = int.MaxValue;
        var ties = 0;
        var count = PieceCount;
        var start = _random.Next(count);
        for (var n = 0; n < count; n++)
        {
            var i = start + n;
            if (i >= count)
            {
                i -= count;
            }

            if (Have[i] || !peerHas[i] || _partial.ContainsKey(i))
            {
                continue;
            }

            if (random)
            {
                return i;
            }

            var availability = _availability[i];
            if (availability < bestAvailability)
            {
                best = i;
                bestAvailability = availability;
                ties = 1;
            }
            else if (availability == bestAvailability && _random.Next(++ties) == 0)
            {
                best = i;
            }
        }

        return best;
    }

    private int TakeBlocks(PartialPiece partial, int peer, HashSet<long> requests, int max, List<BlockRequest> output, bool duplicates)
    {
        var added = 0;
        for (var block = 0; block < partial.BlockCount && added < max; block++)
        {
            if (partial.Received[block])
            {
                continue;
            }

            var count = partial.RequestCounts[block];
            if (count > 0 && (!duplicates || count >= EndgameDuplicates))
            {
                continue;
            }

            var key = Key(partial.Index, block);
            if (!requests.Add(key))
            {
                continue;
            }

            partial.RequestCounts[block]++;
            if (partial.Exclusive && partial.Owner < 0 && !duplicates)
            {
                partial.Owner = peer;
            }

            output.Add(new BlockRequest(partial.Index, block * PeerWireConstants.BlockSize, partial.BlockLength(block)));
            added++;
        }

        return added;
    }

    private HashSet<long> RequestsOf(int peer)
    {
        if (!_requests.TryGetValue(peer, out var set))
        {
            set = new HashSet<long>();
            _requests[peer] = set;
        }

        return set;
    }

    private static long Key(int piece, int block) => ((long)piece << 32) | (uint)block;

    private sealed class PartialPiece(int index, int blockCount, int size)
    {
        public int Index { get; } = index;

        public int BlockCount { get; } = blockCount;

        public bool[] Received { get; } = new bool[blockCount];

        public int[] RequestCounts { get; } = new int[blockCount];

        public int ReceivedCount { get; set; }

        public HashSet<int> Contributors { get; } = new();

        public bool Hashing { get; set; }

        /// <summary>After a failed hash with several contributors, only one peer may fill the retry.</summary>
        public int Owner { get; set; } = -1;

        public bool Exclusive { get; set; }

        public int UnrequestedCount
        {
            get
            {
                var n = 0;
                for (var i = 0; i < BlockCount; i++)
                {
                    if (!Received[i] && RequestCounts[i] == 0)
                    {
                        n++;
                    }
                }

                return n;
            }
        }

        public bool MayServe(int peer)
        {
            if (Hashing)
            {
                return false;
            }

            if (Owner < 0)
            {
                return true;
            }

            return Owner == peer;
        }

        public int BlockLength(int block) => Math.Min(PeerWireConstants.BlockSize, size - (block * PeerWireConstants.BlockSize));
    }
}
