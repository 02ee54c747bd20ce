using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorrentActors.Engine.Hashing;
using Xunit;

namespace TorrentActors.Engine.Tests.Hashing;

/// <summary>
/// Every multi-buffer path against <see cref="SHA1.HashData(ReadOnlySpan{byte})"/>: each lane count, lengths around
/// the padding edges (55/56 bytes left over need one or two padding blocks), different random contents per lane, at
/// odd addresses.
/// </summary>
public sealed class Sha1MultiBufferTests
{
    public static TheoryData<int> Lengths => new() { 0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 16384, (1024 * 1024) + 13 };

    [SkippableTheory]
    [MemberData(nameof(Lengths))]
    public void The_avx512_path_matches_sha1_for_every_lane_count(int length)
    {
        Skip.IfNot(Sha1MultiBuffer.IsSupported(Sha1MultiBuffer.Path.Avx512), "this CPU lacks AVX-512 F and BW");
        AssertMatches(Sha1MultiBuffer.Path.Avx512, length);
    }

    [SkippableTheory]
    [MemberData(nameof(Lengths))]
    public void The_avx2_path_matches_sha1_for_every_lane_count(int length)
    {
        Skip.IfNot(Sha1MultiBuffer.IsSupported(Sha1MultiBuffer.Path.Avx2), "this CPU lacks AVX2");
        AssertMatches(Sha1MultiBuffer.Path.Avx2, length);
    }

    [SkippableFact]
    public void Messages_fed_in_slices_from_different_places_hash_like_whole_messages()
    {
        Skip.If(Sha1MultiBuffer.LaneCount == 0, "this CPU has no multi-buffer path");
        const int length = (3 * 4096) + 100;
        var lanes = Sha1MultiBuffer.LaneCount;
        var messages = Enumerable.Range(0, lanes).Select(i => RandomBytes(length, i)).ToArray();

        // Each slice is first copied to a scratch buffer, as the piece hasher does when it reads instead of mapping.
        Sha1MultiBuffer.Start(out var state);
        var scratch = GC.AllocateArray<byte>(lanes * 4096, pinned: true);
        var pointers = Enumerable.Range(0, lanes).Select(i => Marshal.UnsafeAddrOfPinnedArrayElement(scratch, i * 4096)).ToArray();
        var offset = 0;
        for (; length - offset > 4096; offset += 4096)
        {
            for (var i = 0; i < lanes; i++)
            {
                messages[i].AsSpan(offset, 4096).CopyTo(scratch.AsSpan(i * 4096));
            }

            Sha1MultiBuffer.Append(ref state, pointers, 4096);
        }

        for (var i = 0; i < lanes; i++)
        {
            messages[i].AsSpan(offset).CopyTo(scratch.AsSpan(i * 4096));
        }

        var digests = new byte[lanes * Sha1MultiBuffer.DigestLength];
        Sha1MultiBuffer.Finish(ref state, pointers, length - offset, length, digests);

        for (var i = 0; i < lanes; i++)
        {
            Assert.Equal(SHA1.HashData(messages[i]), digests.AsSpan(i * Sha1MultiBuffer.DigestLength, Sha1MultiBuffer.DigestLength).ToArray());
        }
    }

    [SkippableFact]
    public void More_messages_than_lanes_are_refused()
    {
        Skip.If(Sha1MultiBuffer.LaneCount == 0, "this CPU has no multi-buffer path");
        var messages = new nint[Sha1MultiBuffer.LaneCount + 1];
        var digests = new byte[messages.Length * Sha1MultiBuffer.DigestLength];

        Assert.Throws<ArgumentOutOfRangeException>(() => Sha1MultiBuffer.Hash(messages, 0, digests));
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void AssertMatches(Sha1MultiBuffer.Path path, int length)
    {
        var lanes = Sha1MultiBuffer.Lanes(path);
        var random = new Random(length);

        // One pinned array for all lanes, each message at an odd offset, so no load is aligned.
        var stride = length + 67;
        var all = GC.AllocateArray<byte>(stride * lanes, pinned: true);
        random.NextBytes(all);
        var start = Marshal.UnsafeAddrOfPinnedArrayElement(all, 0);
        for (var count = 1; count <= lanes; count++)
        {
            var offsets = Enumerable.Range(0, count).Select(i => (i * stride) + 1 + (i % 7)).ToArray();
            var messages = offsets.Select(offset => start + offset).ToArray();
            var digests = new byte[count * Sha1MultiBuffer.DigestLength];

            Sha1MultiBuffer.Hash(path, messages, length, digests);

            for (var i = 0; i < count; i++)
            {
                var expected = SHA1.HashData(all.AsSpan(offsets[i], length));
                var actual = digests.AsSpan(i * Sha1MultiBuffer.DigestLength, Sha1MultiBuffer.DigestLength).ToArray();
                Assert.True(
                    expected.AsSpan().SequenceEqual(actual),
                    $"{path}: lane {i} of {count}, {length} bytes: expected {Convert.ToHexString(expected)}, got {Convert.ToHexString(actual)}");
            }
        }
    }
}
