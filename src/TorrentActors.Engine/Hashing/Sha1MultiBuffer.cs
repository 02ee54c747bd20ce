using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TorrentActors.Engine.Hashing;

/// <summary>
/// SHA-1 (FIPS 180-4) of several messages of the same length at once, one message per 32-bit lane of a vector:
/// 16 lanes with AVX-512, 8 with AVX2. Each round costs the same few vector instructions whatever the lane count:
/// with AVX-512 one core hashes 16 messages about 2.5 times as fast as one SHA-NI stream (Zen 4, sha1 benchmark);
/// AVX2's 8 lanes, without rotate or three-input logic instructions and with 16 registers for 21 live vectors, run
/// at about half of SHA-NI (0.9 GB/s on Zen 4 with the JIT held to AVX2 by DOTNET_EnableAVX512=0), so they only
/// pay on CPUs without SHA-NI. Torrent pieces fit: all have the same length but the last.
/// </summary>
/// <remarks>
/// Per 64-byte block, each lane's 16 message words are loaded as one row (two rows of 8 with AVX2) and the rows
/// transposed, so that vector <c>w[t]</c> holds word t of every lane. The padding depends on the length only, so it
/// is the same for all lanes; only the bytes of each message's last partial block differ, and those are copied to a
/// small stack buffer with the padding.
/// </remarks>
internal static unsafe class Sha1MultiBuffer
{
    public const int DigestLength = 20;

    private const int BlockLength = 64;
    private const int MaxLanes = 16;

    /// <summary>Room for a message's last partial block and its padding: one block, or two if the length field does not fit.</summary>
    private const int TailLength = 2 * BlockLength;

    private const uint K0 = 0x5A827999, K1 = 0x6ED9EBA1, K2 = 0x8F1BBCDC, K3 = 0xCA62C1D6;
    private const uint H0 = 0x67452301, H1 = 0xEFCDAB89, H2 = 0x98BADCFE, H3 = 0x10325476, H4 = 0xC3D2E1F0;

    /// <summary>The vector instructions a hash runs on; <see cref="Best"/> unless a test picks one.</summary>
    internal enum Path
    {
        None,
        Avx2,
        Avx512,
    }

    /// <summary>Messages hashed per call at full speed: 16 with AVX-512 (F and BW), 8 with AVX2, 0 without (use SHA1.HashData).</summary>
    public static int LaneCount => Lanes(Best);

    /// <summary>
    /// True when the CPU has the SHA extensions (SHA-NI), with which SHA1.HashData runs one stream at about 1.9 GB/s
    /// (Zen 4): AVX-512 lanes beat that about 2.5 times, plain AVX2 lanes do not (sha1 benchmark).
    /// </summary>
    public static bool HasShaExtensions => X86Base.IsSupported && (X86Base.CpuId(7, 0).Ebx & (1 << 29)) != 0;

    /// <summary>
    /// Lanes worth hashing together instead of one piece at a time with SHA1.HashData: all of them with AVX-512, or
    /// with AVX2 on a CPU without SHA-NI; 0 otherwise, since plain AVX2's 8 lanes run at about half the speed of one
    /// SHA-NI stream.
    /// </summary>
    public static int PreferredLaneCount => IsSupported(Path.Avx512) || !HasShaExtensions ? LaneCount : 0;

    internal static Path Best => IsSupported(Path.Avx512) ? Path.Avx512 : IsSupported(Path.Avx2) ? Path.Avx2 : Path.None;

    internal static bool IsSupported(Path path) => path switch
    {
        Path.Avx512 => Avx512F.IsSupported && Avx512BW.IsSupported,
        Path.Avx2 => Avx2.IsSupported,
        _ => false,
    };

    internal static int Lanes(Path path) => path switch
    {
        Path.Avx512 => 16,
        Path.Avx2 => 8,
        _ => 0,
    };

    /// <summary>
    /// Writes the SHA-1 of each of <paramref name="messages"/> (pointers to <paramref name="length"/> readable bytes,
    /// at most <see cref="LaneCount"/> of them) to <paramref name="digests"/>, 20 bytes per message, in order.
    /// </summary>
    public static void Hash(ReadOnlySpan<nint> messages, int length, Span<byte> digests) => Hash(Best, messages, length, digests);

    /// <inheritdoc cref="Hash(ReadOnlySpan{nint}, int, Span{byte})"/>
    internal static void Hash(Path path, ReadOnlySpan<nint> messages, int length, Span<byte> digests)
    {
        Start(out var state);
        Finish(path, ref state, messages, length, length, digests);
    }

    /// <summary>Begins hashing messages fed in slices: <see cref="Append(ref State, ReadOnlySpan{nint}, int)"/>, then <see cref="Finish(ref State, ReadOnlySpan{nint}, int, long, Span{byte})"/>.</summary>
    public static void Start(out State state)
    {
        state = default;
        ReadOnlySpan<uint> initial = [H0, H1, H2, H3, H4];
        for (var word = 0; word < initial.Length; word++)
        {
            ((Span<uint>)state).Slice(word * MaxLanes, MaxLanes).Fill(initial[word]);
        }
    }

    /// <summary>
    /// Feeds the next <paramref name="length"/> bytes (a multiple of 64) of each message, found at
    /// <paramref name="messages"/>; every call for one state passes the same number of messages.
    /// </summary>
    public static void Append(ref State state, ReadOnlySpan<nint> messages, int length) => Append(Best, ref state, messages, length);

    internal static void Append(Path path, ref State state, ReadOnlySpan<nint> messages, int length)
    {
        if (length < 0 || length % BlockLength != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "only whole 64-byte blocks can be appended before the end");
        }

        var lanes = stackalloc nint[MaxLanes];
        FillLanes(path, messages, lanes);
        fixed (uint* words = (Span<uint>)state)
        {
            Compress(path, words, lanes, length / BlockLength);
        }
    }

    /// <summary>
    /// Feeds the last <paramref name="length"/> bytes of each message, found at <paramref name="messages"/>, pads
    /// them for a message of <paramref name="totalLength"/> bytes in all, and writes the digests, 20 bytes per message.
    /// </summary>
    public static void Finish(ref State state, ReadOnlySpan<nint> messages, int length, long totalLength, Span<byte> digests) =>
        Finish(Best, ref state, messages, length, totalLength, digests);

    internal static void Finish(Path path, ref State state, ReadOnlySpan<nint> messages, int length, long totalLength, Span<byte> digests)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (totalLength < length || (totalLength - length) % BlockLength != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(totalLength), totalLength, $"the {length} last bytes must follow whole 64-byte blocks");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(digests.Length, messages.Length * DigestLength, nameof(digests));
        var lanes = stackalloc nint[MaxLanes];
        var laneCount = FillLanes(path, messages, lanes);

        // FIPS 180-4 5.1.1: the message, one 1 bit, zeros up to 56 bytes mod 64, then the length in bits, big-endian.
        // Only the bytes after the last whole block differ from lane to lane; they go to a small buffer with the padding.
        var whole = length - (length % BlockLength);
        var rest = length - whole;
        var tailBlocks = rest < BlockLength - sizeof(ulong) ? 1 : 2;
        var tails = stackalloc nint[MaxLanes];
        var tail = stackalloc byte[MaxLanes * TailLength];
        for (var i = 0; i < laneCount; i++)
        {
            tails[i] = (nint)(tail + (i * TailLength));
            var padded = new Span<byte>((byte*)tails[i], tailBlocks * BlockLength);
            padded.Clear();
            new ReadOnlySpan<byte>((byte*)lanes[i] + whole, rest).CopyTo(padded);
            padded[rest] = 0x80;
            BinaryPrimitives.WriteUInt64BigEndian(padded[^sizeof(ulong)..], (ulong)totalLength * 8);
        }

        fixed (uint* words = (Span<uint>)state)
        {
            Compress(path, words, lanes, whole / BlockLength);
            Compress(path, words, tails, tailBlocks);
            for (var lane = 0; lane < messages.Length; lane++)
            {
                var digest = digests.Slice(lane * DigestLength, DigestLength);
                for (var word = 0; word < 5; word++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(digest[(word * sizeof(uint))..], words[(word * MaxLanes) + lane]);
                }
            }
        }
    }

    /// <summary>Copies the message pointers to the path's lanes; lanes beyond them repeat the first, and their digests are dropped.</summary>
    private static int FillLanes(Path path, ReadOnlySpan<nint> messages, nint* lanes)
    {
        if (!IsSupported(path))
        {
            throw new PlatformNotSupportedException($"multi-buffer SHA-1: this CPU cannot run the {path} path");
        }

        var laneCount = Lanes(path);
        if (messages.Length == 0 || messages.Length > laneCount)
        {
            throw new ArgumentOutOfRangeException(nameof(messages), messages.Length, $"give between 1 and {laneCount} messages");
        }

        for (var i = 0; i < laneCount; i++)
        {
            lanes[i] = messages[i < messages.Length ? i : 0];
        }

        return laneCount;
    }

    private static void Compress(Path path, uint* state, nint* lanes, int blocks)
    {
        if (path == Path.Avx512)
        {
            CompressAvx512(state, lanes, blocks);
        }
        else
        {
            CompressAvx2(state, lanes, blocks);
        }
    }

    /// <summary>
    /// Messages of <c>totalLength</c> bytes fed <c>sliceLength</c> bytes at a time (a multiple of 64): every slice
    /// but the last is appended, the last one finishes and writes the digests. Callers ask <see cref="Next"/> where
    /// the next slice starts and how long it is, put each message's bytes for it somewhere, then <see cref="Feed"/>.
    /// </summary>
    public struct Sliced
    {
        private readonly long _totalLength;
        private readonly int _sliceLength;
        private State _state;
        private long _done;
        private bool _finished;

        public Sliced(long totalLength, int sliceLength)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(totalLength);
            if (sliceLength <= 0 || sliceLength % BlockLength != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(sliceLength), sliceLength, "a slice is a positive multiple of 64 bytes");
            }

            _totalLength = totalLength;
            _sliceLength = sliceLength;
            Start(out _state);
        }

        /// <summary>The next slice's offset in each message and its length; false once the digests are written.</summary>
        public readonly bool Next(out long offset, out int length)
        {
            offset = _done;
            length = (int)Math.Min(_sliceLength, _totalLength - _done);
            return !_finished;
        }

        /// <summary>Hashes the slice <see cref="Next"/> named, found at <paramref name="messages"/>; the last one fills <paramref name="digests"/>.</summary>
        public void Feed(ReadOnlySpan<nint> messages, Span<byte> digests)
        {
            Next(out _, out var length);
            if (_done + length < _totalLength)
            {
                Append(ref _state, messages, length);
            }
            else
            {
                Finish(ref _state, messages, length, _totalLength, digests);
                _finished = true;
            }

            _done += length;
        }
    }

    /// <summary>The running state of up to 16 messages hashed together: H0 of each lane, then H1, ... H4.</summary>
    [InlineArray(5 * MaxLanes)]
    public struct State
    {
        private uint _word;
    }

    /// <summary>
    /// Runs <paramref name="blocks"/> 64-byte blocks of each of the 16 <paramref name="lanes"/> through the compression
    /// function. Optimized from its first call: it is called once per batch, too few times for the JIT's tiers to
    /// reach their optimized code soon.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CompressAvx512(uint* state, nint* lanes, int blocks)
    {
        // vpshufb reverses the bytes of each 32-bit word: the message words are big-endian.
        var byteSwap = Vector512.Create(Vector256.Create(Vector128.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12))).AsByte();
        var a = Vector512.Load(state);
        var b = Vector512.Load(state + MaxLanes);
        var c = Vector512.Load(state + (2 * MaxLanes));
        var d = Vector512.Load(state + (3 * MaxLanes));
        var e = Vector512.Load(state + (4 * MaxLanes));
        for (nint offset = 0, end = (nint)blocks * BlockLength; offset < end; offset += BlockLength)
        {
            // Row i is lane i's block; after the transpose w[t] holds word t of every lane.
            var w0 = LoadAvx512(lanes[0] + offset, byteSwap);
            var w1 = LoadAvx512(lanes[1] + offset, byteSwap);
            var w2 = LoadAvx512(lanes[2] + offset, byteSwap);
            var w3 = LoadAvx512(lanes[3] + offset, byteSwap);
            var w4 = LoadAvx512(lanes[4] + offset, byteSwap);
            var w5 = LoadAvx512(lanes[5] + offset, byteSwap);
            var w6 = LoadAvx512(lanes[6] + offset, byteSwap);
            var w7 = LoadAvx512(lanes[7] + offset, byteSwap);
            var w8 = LoadAvx512(lanes[8] + offset, byteSwap);
            var w9 = LoadAvx512(lanes[9] + offset, byteSwap);
            var w10 = LoadAvx512(lanes[10] + offset, byteSwap);
            var w11 = LoadAvx512(lanes[11] + offset, byteSwap);
            var w12 = LoadAvx512(lanes[12] + offset, byteSwap);
            var w13 = LoadAvx512(lanes[13] + offset, byteSwap);
            var w14 = LoadAvx512(lanes[14] + offset, byteSwap);
            var w15 = LoadAvx512(lanes[15] + offset, byteSwap);
            Transpose16(ref w0, ref w1, ref w2, ref w3, ref w4, ref w5, ref w6, ref w7, ref w8, ref w9, ref w10, ref w11, ref w12, ref w13, ref w14, ref w15);

            var (a0, b0, c0, d0, e0) = (a, b, c, d, e);

            // Each round leaves its new 'a' in the register of 'e' and rotates 'b' in place, so instead of moving
            // five registers per round the names shift by one: what round t calls (a, b, c, d, e), round t + 1 calls
            // (e, a, b, c, d). After 80 rounds they are back in place. From round 16 on, w[t mod 16] is replaced by
            // the schedule's next word just before its round.
            Round1(a, ref b, c, d, ref e, w0);
            Round1(e, ref a, b, c, ref d, w1);
            Round1(d, ref e, a, b, ref c, w2);
            Round1(c, ref d, e, a, ref b, w3);
            Round1(b, ref c, d, e, ref a, w4);
            Round1(a, ref b, c, d, ref e, w5);
            Round1(e, ref a, b, c, ref d, w6);
            Round1(d, ref e, a, b, ref c, w7);
            Round1(c, ref d, e, a, ref b, w8);
            Round1(b, ref c, d, e, ref a, w9);
            Round1(a, ref b, c, d, ref e, w10);
            Round1(e, ref a, b, c, ref d, w11);
            Round1(d, ref e, a, b, ref c, w12);
            Round1(c, ref d, e, a, ref b, w13);
            Round1(b, ref c, d, e, ref a, w14);
            Round1(a, ref b, c, d, ref e, w15);
            Round1(e, ref a, b, c, ref d, w0 = Next(w0, w2, w8, w13));
            Round1(d, ref e, a, b, ref c, w1 = Next(w1, w3, w9, w14));
            Round1(c, ref d, e, a, ref b, w2 = Next(w2, w4, w10, w15));
            Round1(b, ref c, d, e, ref a, w3 = Next(w3, w5, w11, w0));
            Round2(a, ref b, c, d, ref e, w4 = Next(w4, w6, w12, w1));
            Round2(e, ref a, b, c, ref d, w5 = Next(w5, w7, w13, w2));
            Round2(d, ref e, a, b, ref c, w6 = Next(w6, w8, w14, w3));
            Round2(c, ref d, e, a, ref b, w7 = Next(w7, w9, w15, w4));
            Round2(b, ref c, d, e, ref a, w8 = Next(w8, w10, w0, w5));
            Round2(a, ref b, c, d, ref e, w9 = Next(w9, w11, w1, w6));
            Round2(e, ref a, b, c, ref d, w10 = Next(w10, w12, w2, w7));
            Round2(d, ref e, a, b, ref c, w11 = Next(w11, w13, w3, w8));
            Round2(c, ref d, e, a, ref b, w12 = Next(w12, w14, w4, w9));
            Round2(b, ref c, d, e, ref a, w13 = Next(w13, w15, w5, w10));
            Round2(a, ref b, c, d, ref e, w14 = Next(w14, w0, w6, w11));
            Round2(e, ref a, b, c, ref d, w15 = Next(w15, w1, w7, w12));
            Round2(d, ref e, a, b, ref c, w0 = Next(w0, w2, w8, w13));
            Round2(c, ref d, e, a, ref b, w1 = Next(w1, w3, w9, w14));
            Round2(b, ref c, d, e, ref a, w2 = Next(w2, w4, w10, w15));
            Round2(a, ref b, c, d, ref e, w3 = Next(w3, w5, w11, w0));
            Round2(e, ref a, b, c, ref d, w4 = Next(w4, w6, w12, w1));
            Round2(d, ref e, a, b, ref c, w5 = Next(w5, w7, w13, w2));
            Round2(c, ref d, e, a, ref b, w6 = Next(w6, w8, w14, w3));
            Round2(b, ref c, d, e, ref a, w7 = Next(w7, w9, w15, w4));
            Round3(a, ref b, c, d, ref e, w8 = Next(w8, w10, w0, w5));
            Round3(e, ref a, b, c, ref d, w9 = Next(w9, w11, w1, w6));
            Round3(d, ref e, a, b, ref c, w10 = Next(w10, w12, w2, w7));
            Round3(c, ref d, e, a, ref b, w11 = Next(w11, w13, w3, w8));
            Round3(b, ref c, d, e, ref a, w12 = Next(w12, w14, w4, w9));
            Round3(a, ref b, c, d, ref e, w13 = Next(w13, w15, w5, w10));
            Round3(e, ref a, b, c, ref d, w14 = Next(w14, w0, w6, w11));
            Round3(d, ref e, a, b, ref c, w15 = Next(w15, w1, w7, w12));
            Round3(c, ref d, e, a, ref b, w0 = Next(w0, w2, w8, w13));
            Round3(b, ref c, d, e, ref a, w1 = Next(w1, w3, w9, w14));
            Round3(a, ref b, c, d, ref e, w2 = Next(w2, w4, w10, w15));
            Round3(e, ref a, b, c, ref d, w3 = Next(w3, w5, w11, w0));
            Round3(d, ref e, a, b, ref c, w4 = Next(w4, w6, w12, w1));
            Round3(c, ref d, e, a, ref b, w5 = Next(w5, w7, w13, w2));
            Round3(b, ref c, d, e, ref a, w6 = Next(w6, w8, w14, w3));
            Round3(a, ref b, c, d, ref e, w7 = Next(w7, w9, w15, w4));
            Round3(e, ref a, b, c, ref d, w8 = Next(w8, w10, w0, w5));
            Round3(d, ref e, a, b, ref c, w9 = Next(w9, w11, w1, w6));
            Round3(c, ref d, e, a, ref b, w10 = Next(w10, w12, w2, w7));
            Round3(b, ref c, d, e, ref a, w11 = Next(w11, w13, w3, w8));
            Round4(a, ref b, c, d, ref e, w12 = Next(w12, w14, w4, w9));
            Round4(e, ref a, b, c, ref d, w13 = Next(w13, w15, w5, w10));
            Round4(d, ref e, a, b, ref c, w14 = Next(w14, w0, w6, w11));
            Round4(c, ref d, e, a, ref b, w15 = Next(w15, w1, w7, w12));
            Round4(b, ref c, d, e, ref a, w0 = Next(w0, w2, w8, w13));
            Round4(a, ref b, c, d, ref e, w1 = Next(w1, w3, w9, w14));
            Round4(e, ref a, b, c, ref d, w2 = Next(w2, w4, w10, w15));
            Round4(d, ref e, a, b, ref c, w3 = Next(w3, w5, w11, w0));
            Round4(c, ref d, e, a, ref b, w4 = Next(w4, w6, w12, w1));
            Round4(b, ref c, d, e, ref a, w5 = Next(w5, w7, w13, w2));
            Round4(a, ref b, c, d, ref e, w6 = Next(w6, w8, w14, w3));
            Round4(e, ref a, b, c, ref d, w7 = Next(w7, w9, w15, w4));
            Round4(d, ref e, a, b, ref c, w8 = Next(w8, w10, w0, w5));
            Round4(c, ref d, e, a, ref b, w9 = Next(w9, w11, w1, w6));
            Round4(b, ref c, d, e, ref a, w10 = Next(w10, w12, w2, w7));
            Round4(a, ref b, c, d, ref e, w11 = Next(w11, w13, w3, w8));
            Round4(e, ref a, b, c, ref d, w12 = Next(w12, w14, w4, w9));
            Round4(d, ref e, a, b, ref c, w13 = Next(w13, w15, w5, w10));
            Round4(c, ref d, e, a, ref b, w14 = Next(w14, w0, w6, w11));
            Round4(b, ref c, d, e, ref a, w15 = Next(w15, w1, w7, w12));

            a += a0;
            b += b0;
            c += c0;
            d += d0;
            e += e0;
        }

        a.Store(state);
        b.Store(state + MaxLanes);
        c.Store(state + (2 * MaxLanes));
        d.Store(state + (3 * MaxLanes));
        e.Store(state + (4 * MaxLanes));
    }

    /// <summary>
    /// The AVX2 form of <see cref="CompressAvx512"/>: 8 lanes, each block loaded as two rows of 8 words, so two 8x8
    /// transposes give w0..w7 and w8..w15.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CompressAvx2(uint* state, nint* lanes, int blocks)
    {
        var byteSwap = Vector256.Create(Vector128.Create((byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
        var a = Vector256.Load(state);
        var b = Vector256.Load(state + MaxLanes);
        var c = Vector256.Load(state + (2 * MaxLanes));
        var d = Vector256.Load(state + (3 * MaxLanes));
        var e = Vector256.Load(state + (4 * MaxLanes));
        for (nint offset = 0, end = (nint)blocks * BlockLength; offset < end; offset += BlockLength)
        {
            var w0 = LoadAvx2(lanes[0] + offset, byteSwap);
            var w1 = LoadAvx2(lanes[1] + offset, byteSwap);
            var w2 = LoadAvx2(lanes[2] + offset, byteSwap);
            var w3 = LoadAvx2(lanes[3] + offset, byteSwap);
            var w4 = LoadAvx2(lanes[4] + offset, byteSwap);
            var w5 = LoadAvx2(lanes[5] + offset, byteSwap);
            var w6 = LoadAvx2(lanes[6] + offset, byteSwap);
            var w7 = LoadAvx2(lanes[7] + offset, byteSwap);
            var w8 = LoadAvx2(lanes[0] + offset + 32, byteSwap);
            var w9 = LoadAvx2(lanes[1] + offset + 32, byteSwap);
            var w10 = LoadAvx2(lanes[2] + offset + 32, byteSwap);
            var w11 = LoadAvx2(lanes[3] + offset + 32, byteSwap);
            var w12 = LoadAvx2(lanes[4] + offset + 32, byteSwap);
            var w13 = LoadAvx2(lanes[5] + offset + 32, byteSwap);
            var w14 = LoadAvx2(lanes[6] + offset + 32, byteSwap);
            var w15 = LoadAvx2(lanes[7] + offset + 32, byteSwap);
            Transpose8(ref w0, ref w1, ref w2, ref w3, ref w4, ref w5, ref w6, ref w7);
            Transpose8(ref w8, ref w9, ref w10, ref w11, ref w12, ref w13, ref w14, ref w15);

            var (a0, b0, c0, d0, e0) = (a, b, c, d, e);

            // The same 80 rounds as CompressAvx512, on the Vector256 overloads. Their rotations are written out, not
            // calls to a helper: one more level of inlining took the JIT past its budget, and the last rounds were calls.
            Round1(a, ref b, c, d, ref e, w0);
            Round1(e, ref a, b, c, ref d, w1);
            Round1(d, ref e, a, b, ref c, w2);
            Round1(c, ref d, e, a, ref b, w3);
            Round1(b, ref c, d, e, ref a, w4);
            Round1(a, ref b, c, d, ref e, w5);
            Round1(e, ref a, b, c, ref d, w6);
            Round1(d, ref e, a, b, ref c, w7);
            Round1(c, ref d, e, a, ref b, w8);
            Round1(b, ref c, d, e, ref a, w9);
            Round1(a, ref b, c, d, ref e, w10);
            Round1(e, ref a, b, c, ref d, w11);
            Round1(d, ref e, a, b, ref c, w12);
            Round1(c, ref d, e, a, ref b, w13);
            Round1(b, ref c, d, e, ref a, w14);
            Round1(a, ref b, c, d, ref e, w15);
            Round1(e, ref a, b, c, ref d, w0 = Next(w0, w2, w8, w13));
            Round1(d, ref e, a, b, ref c, w1 = Next(w1, w3, w9, w14));
            Round1(c, ref d, e, a, ref b, w2 = Next(w2, w4, w10, w15));
            Round1(b, ref c, d, e, ref a, w3 = Next(w3, w5, w11, w0));
            Round2(a, ref b, c, d, ref e, w4 = Next(w4, w6, w12, w1));
            Round2(e, ref a, b, c, ref d, w5 = Next(w5, w7, w13, w2));
            Round2(d, ref e, a, b, ref c, w6 = Next(w6, w8, w14, w3));
            Round2(c, ref d, e, a, ref b, w7 = Next(w7, w9, w15, w4));
            Round2(b, ref c, d, e, ref a, w8 = Next(w8, w10, w0, w5));
            Round2(a, ref b, c, d, ref e, w9 = Next(w9, w11, w1, w6));
            Round2(e, ref a, b, c, ref d, w10 = Next(w10, w12, w2, w7));
            Round2(d, ref e, a, b, ref c, w11 = Next(w11, w13, w3, w8));
            Round2(c, ref d, e, a, ref b, w12 = Next(w12, w14, w4, w9));
            Round2(b, ref c, d, e, ref a, w13 = Next(w13, w15, w5, w10));
            Round2(a, ref b, c, d, ref e, w14 = Next(w14, w0, w6, w11));
            Round2(e, ref a, b, c, ref d, w15 = Next(w15, w1, w7, w12));
            Round2(d, ref e, a, b, ref c, w0 = Next(w0, w2, w8, w13));
            Round2(c, ref d, e, a, ref b, w1 = Next(w1, w3, w9, w14));
            Round2(b, ref c, d, e, ref a, w2 = Next(w2, w4, w10, w15));
            Round2(a, ref b, c, d, ref e, w3 = Next(w3, w5, w11, w0));
            Round2(e, ref a, b, c, ref d, w4 = Next(w4, w6, w12, w1));
            Round2(d, ref e, a, b, ref c, w5 = Next(w5, w7, w13, w2));
            Round2(c, ref d, e, a, ref b, w6 = Next(w6, w8, w14, w3));
            Round2(b, ref c, d, e, ref a, w7 = Next(w7, w9, w15, w4));
            Round3(a, ref b, c, d, ref e, w8 = Next(w8, w10, w0, w5));
            Round3(e, ref a, b, c, ref d, w9 = Next(w9, w11, w1, w6));
            Round3(d, ref e, a, b, ref c, w10 = Next(w10, w12, w2, w7));
            Round3(c, ref d, e, a, ref b, w11 = Next(w11, w13, w3, w8));
            Round3(b, ref c, d, e, ref a, w12 = Next(w12, w14, w4, w9));
            Round3(a, ref b, c, d, ref e, w13 = Next(w13, w15, w5, w10));
            Round3(e, ref a, b, c, ref d, w14 = Next(w14, w0, w6, w11));
            Round3(d, ref e, a, b, ref c, w15 = Next(w15, w1, w7, w12));
            Round3(c, ref d, e, a, ref b, w0 = Next(w0, w2, w8, w13));
            Round3(b, ref c, d, e, ref a, w1 = Next(w1, w3, w9, w14));
            Round3(a, ref b, c, d, ref e, w2 = Next(w2, w4, w10, w15));
            Round3(e, ref a, b, c, ref d, w3 = Next(w3, w5, w11, w0));
            Round3(d, ref e, a, b, ref c, w4 = Next(w4, w6, w12, w1));
            Round3(c, ref d, e, a, ref b, w5 = Next(w5, w7, w13, w2));
            Round3(b, ref c, d, e, ref a, w6 = Next(w6, w8, w14, w3));
            Round3(a, ref b, c, d, ref e, w7 = Next(w7, w9, w15, w4));
            Round3(e, ref a, b, c, ref d, w8 = Next(w8, w10, w0, w5));
            Round3(d, ref e, a, b, ref c, w9 = Next(w9, w11, w1, w6));
            Round3(c, ref d, e, a, ref b, w10 = Next(w10, w12, w2, w7));
            Round3(b, ref c, d, e, ref a, w11 = Next(w11, w13, w3, w8));
            Round4(a, ref b, c, d, ref e, w12 = Next(w12, w14, w4, w9));
            Round4(e, ref a, b, c, ref d, w13 = Next(w13, w15, w5, w10));
            Round4(d, ref e, a, b, ref c, w14 = Next(w14, w0, w6, w11));
            Round4(c, ref d, e, a, ref b, w15 = Next(w15, w1, w7, w12));
            Round4(b, ref c, d, e, ref a, w0 = Next(w0, w2, w8, w13));
            Round4(a, ref b, c, d, ref e, w1 = Next(w1, w3, w9, w14));
            Round4(e, ref a, b, c, ref d, w2 = Next(w2, w4, w10, w15));
            Round4(d, ref e, a, b, ref c, w3 = Next(w3, w5, w11, w0));
            Round4(c, ref d, e, a, ref b, w4 = Next(w4, w6, w12, w1));
            Round4(b, ref c, d, e, ref a, w5 = Next(w5, w7, w13, w2));
            Round4(a, ref b, c, d, ref e, w6 = Next(w6, w8, w14, w3));
            Round4(e, ref a, b, c, ref d, w7 = Next(w7, w9, w15, w4));
            Round4(d, ref e, a, b, ref c, w8 = Next(w8, w10, w0, w5));
            Round4(c, ref d, e, a, ref b, w9 = Next(w9, w11, w1, w6));
            Round4(b, ref c, d, e, ref a, w10 = Next(w10, w12, w2, w7));
            Round4(a, ref b, c, d, ref e, w11 = Next(w11, w13, w3, w8));
            Round4(e, ref a, b, c, ref d, w12 = Next(w12, w14, w4, w9));
            Round4(d, ref e, a, b, ref c, w13 = Next(w13, w15, w5, w10));
            Round4(c, ref d, e, a, ref b, w14 = Next(w14, w0, w6, w11));
            Round4(b, ref c, d, e, ref a, w15 = Next(w15, w1, w7, w12));

            a += a0;
            b += b0;
            c += c0;
            d += d0;
            e += e0;
        }

        a.Store(state);
        b.Store(state + MaxLanes);
        c.Store(state + (2 * MaxLanes));
        d.Store(state + (3 * MaxLanes));
        e.Store(state + (4 * MaxLanes));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> LoadAvx512(nint address, Vector512<byte> byteSwap) =>
        Avx512BW.Shuffle(Vector512.Load((byte*)address), byteSwap).AsUInt32();

    /// <summary>
    /// Transposes the 16x16 matrix of 32-bit words whose rows are <paramref name="r0"/>..<paramref name="r15"/>.
    /// Interleaving words, then word pairs, leaves in row 4g + j the words 4k + j of rows 4g..4g + 3 in 128-bit chunk
    /// k; two rounds of 128-bit chunk shuffles then gather chunk k of the four groups into row 4k + j.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose16(
        ref Vector512<uint> r0, ref Vector512<uint> r1, ref Vector512<uint> r2, ref Vector512<uint> r3,
        ref Vector512<uint> r4, ref Vector512<uint> r5, ref Vector512<uint> r6, ref Vector512<uint> r7,
        ref Vector512<uint> r8, ref Vector512<uint> r9, ref Vector512<uint> r10, ref Vector512<uint> r11,
        ref Vector512<uint> r12, ref Vector512<uint> r13, ref Vector512<uint> r14, ref Vector512<uint> r15)
    {
        Interleave4(ref r0, ref r1, ref r2, ref r3);
        Interleave4(ref r4, ref r5, ref r6, ref r7);
        Interleave4(ref r8, ref r9, ref r10, ref r11);
        Interleave4(ref r12, ref r13, ref r14, ref r15);

        // Row 4g + j now holds, in chunk k, words 4k + j of rows 4g..4g + 3.
        GatherChunks(ref r0, ref r4, ref r8, ref r12);
        GatherChunks(ref r1, ref r5, ref r9, ref r13);
        GatherChunks(ref r2, ref r6, ref r10, ref r14);
        GatherChunks(ref r3, ref r7, ref r11, ref r15);
    }

    /// <summary>
    /// Four rows x0..x3 become, per 128-bit chunk k, x0 = words 4k of the four rows, x1 = words 4k + 1,
    /// x2 = words 4k + 2, x3 = words 4k + 3.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(ref Vector512<uint> x0, ref Vector512<uint> x1, ref Vector512<uint> x2, ref Vector512<uint> x3)
    {
        var t0 = Avx512F.UnpackLow(x0, x1).AsUInt64();
        var t1 = Avx512F.UnpackHigh(x0, x1).AsUInt64();
        var t2 = Avx512F.UnpackLow(x2, x3).AsUInt64();
        var t3 = Avx512F.UnpackHigh(x2, x3).AsUInt64();
        x0 = Avx512F.UnpackLow(t0, t2).AsUInt32();
        x1 = Avx512F.UnpackHigh(t0, t2).AsUInt32();
        x2 = Avx512F.UnpackLow(t1, t3).AsUInt32();
        x3 = Avx512F.UnpackHigh(t1, t3).AsUInt32();
    }

    /// <summary>Transposes the 4x4 matrix of 128-bit chunks in rows g0..g3: row k gets chunk k of each of them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherChunks(ref Vector512<uint> g0, ref Vector512<uint> g1, ref Vector512<uint> g2, ref Vector512<uint> g3)
    {
        // Shuffle4x128(x, y, control) takes chunks control[1:0] and control[3:2] of x, then [5:4] and [7:6] of y.
        var low01 = Avx512F.Shuffle4x128(g0, g1, 0b01_00_01_00); // g0.0 g0.1 g1.0 g1.1
        var high01 = Avx512F.Shuffle4x128(g0, g1, 0b11_10_11_10); // g0.2 g0.3 g1.2 g1.3
        var low23 = Avx512F.Shuffle4x128(g2, g3, 0b01_00_01_00);
        var high23 = Avx512F.Shuffle4x128(g2, g3, 0b11_10_11_10);
        g0 = Avx512F.Shuffle4x128(low01, low23, 0b10_00_10_00); // g0.0 g1.0 g2.0 g3.0
        g1 = Avx512F.Shuffle4x128(low01, low23, 0b11_01_11_01);
        g2 = Avx512F.Shuffle4x128(high01, high23, 0b10_00_10_00);
        g3 = Avx512F.Shuffle4x128(high01, high23, 0b11_01_11_01);
    }

    /// <summary>Rounds 0-19: Ch(b, c, d) = (b AND c) XOR (NOT b AND d), K = 5A827999.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round1(Vector512<uint> a, ref Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref Vector512<uint> e, Vector512<uint> w)
    {
        e += Avx512F.RotateLeft(a, 5) + Avx512F.TernaryLogic(b, c, d, 0xCA) + w + Vector512.Create(K0);
        b = Avx512F.RotateLeft(b, 30);
    }

    /// <summary>Rounds 20-39: Parity(b, c, d) = b XOR c XOR d, K = 6ED9EBA1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round2(Vector512<uint> a, ref Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref Vector512<uint> e, Vector512<uint> w)
    {
        e += Avx512F.RotateLeft(a, 5) + Avx512F.TernaryLogic(b, c, d, 0x96) + w + Vector512.Create(K1);
        b = Avx512F.RotateLeft(b, 30);
    }

    /// <summary>Rounds 40-59: Maj(b, c, d) = (b AND c) XOR (b AND d) XOR (c AND d), K = 8F1BBCDC.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round3(Vector512<uint> a, ref Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref Vector512<uint> e, Vector512<uint> w)
    {
        e += Avx512F.RotateLeft(a, 5) + Avx512F.TernaryLogic(b, c, d, 0xE8) + w + Vector512.Create(K2);
        b = Avx512F.RotateLeft(b, 30);
    }

    /// <summary>Rounds 60-79: Parity again, K = CA62C1D6.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round4(Vector512<uint> a, ref Vector512<uint> b, Vector512<uint> c, Vector512<uint> d, ref Vector512<uint> e, Vector512<uint> w)
    {
        e += Avx512F.RotateLeft(a, 5) + Avx512F.TernaryLogic(b, c, d, 0x96) + w + Vector512.Create(K3);
        b = Avx512F.RotateLeft(b, 30);
    }

    /// <summary>The message schedule: W[t] = ROTL1(W[t-3] XOR W[t-8] XOR W[t-14] XOR W[t-16]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Next(Vector512<uint> w16, Vector512<uint> w14, Vector512<uint> w8, Vector512<uint> w3) =>
        Avx512F.RotateLeft(Avx512F.TernaryLogic(w16, w14, w8, 0x96) ^ w3, 1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> LoadAvx2(nint address, Vector256<byte> byteSwap) =>
        Avx2.Shuffle(Vector256.Load((byte*)address), byteSwap).AsUInt32();

    /// <summary>Transposes the 8x8 matrix of 32-bit words whose rows are <paramref name="r0"/>..<paramref name="r7"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8(
        ref Vector256<uint> r0, ref Vector256<uint> r1, ref Vector256<uint> r2, ref Vector256<uint> r3,
        ref Vector256<uint> r4, ref Vector256<uint> r5, ref Vector256<uint> r6, ref Vector256<uint> r7)
    {
        Interleave4(ref r0, ref r1, ref r2, ref r3);
        Interleave4(ref r4, ref r5, ref r6, ref r7);

        // Row 4g + j now holds, in chunk k, words 4k + j of rows 4g..4g + 3: pair the chunks up.
        (r0, r4) = (Avx2.Permute2x128(r0, r4, 0x20), Avx2.Permute2x128(r0, r4, 0x31));
        (r1, r5) = (Avx2.Permute2x128(r1, r5, 0x20), Avx2.Permute2x128(r1, r5, 0x31));
        (r2, r6) = (Avx2.Permute2x128(r2, r6, 0x20), Avx2.Permute2x128(r2, r6, 0x31));
        (r3, r7) = (Avx2.Permute2x128(r3, r7, 0x20), Avx2.Permute2x128(r3, r7, 0x31));
    }

    /// <inheritdoc cref="Interleave4(ref Vector512{uint}, ref Vector512{uint}, ref Vector512{uint}, ref Vector512{uint})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave4(ref Vector256<uint> x0, ref Vector256<uint> x1, ref Vector256<uint> x2, ref Vector256<uint> x3)
    {
        var t0 = Avx2.UnpackLow(x0, x1).AsUInt64();
        var t1 = Avx2.UnpackHigh(x0, x1).AsUInt64();
        var t2 = Avx2.UnpackLow(x2, x3).AsUInt64();
        var t3 = Avx2.UnpackHigh(x2, x3).AsUInt64();
        x0 = Avx2.UnpackLow(t0, t2).AsUInt32();
        x1 = Avx2.UnpackHigh(t0, t2).AsUInt32();
        x2 = Avx2.UnpackLow(t1, t3).AsUInt32();
        x3 = Avx2.UnpackHigh(t1, t3).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round1(Vector256<uint> a, ref Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref Vector256<uint> e, Vector256<uint> w)
    {
        e += ((a << 5) | (a >>> 27)) + (((c ^ d) & b) ^ d) + w + Vector256.Create(K0);
        b = (b << 30) | (b >>> 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round2(Vector256<uint> a, ref Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref Vector256<uint> e, Vector256<uint> w)
    {
        e += ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w + Vector256.Create(K1);
        b = (b << 30) | (b >>> 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round3(Vector256<uint> a, ref Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref Vector256<uint> e, Vector256<uint> w)
    {
        e += ((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + w + Vector256.Create(K2);
        b = (b << 30) | (b >>> 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round4(Vector256<uint> a, ref Vector256<uint> b, Vector256<uint> c, Vector256<uint> d, ref Vector256<uint> e, Vector256<uint> w)
    {
        e += ((a << 5) | (a >>> 27)) + (b ^ c ^ d) + w + Vector256.Create(K3);
        b = (b << 30) | (b >>> 2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Next(Vector256<uint> w16, Vector256<uint> w14, Vector256<uint> w8, Vector256<uint> w3)
    {
        var w = w16 ^ w14 ^ w8 ^ w3;
        return (w << 1) | (w >>> 31);
    }
}
