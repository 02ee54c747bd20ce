using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using TorrentActors.Engine.Hashing;

namespace TorrentActors.Benchmarks;

/// <summary>
/// <c>sha1</c>: one thread hashing 16 pieces of 1 MiB held in RAM, with <c>SHA1.HashData</c> (OpenSSL, SHA-NI where
/// the CPU has it) and with the multi-buffer hasher (all lanes at once, each path this CPU has), best of 5 each, against one core's
/// <c>openssl speed -evp sha1</c> (16384-byte column) as the anchor.
/// </summary>
public sealed class Sha1Scenario : IScenario
{
    private const int PieceLength = 1024 * 1024;
    private const int Pieces = 16;
    private const int Runs = 5;

    public string Name => "sha1";

    public string Description => "one core: SHA1.HashData vs multi-buffer SHA-1 over 16 x 1 MiB pieces, and openssl speed";

    public Task<int> RunAsync(string[] args)
    {
        var data = GC.AllocateArray<byte>(Pieces * PieceLength, pinned: true);
        new Random(20261125).NextBytes(data);
        var expected = new byte[Pieces * Sha1MultiBuffer.DigestLength];
        var digests = new byte[expected.Length];
        Console.WriteLine($"sha1: {Pieces} pieces of {PieceLength} bytes, one thread, best of {Runs}; multi-buffer lanes: {Sha1MultiBuffer.LaneCount}");
        if (Sha1MultiBuffer.LaneCount == 0)
        {
            Console.WriteLine("multi-buffer: not available on this CPU (needs AVX2 or AVX-512)");
        }

        var single = Best(() =>
        {
            for (var i = 0; i < Pieces; i++)
            {
                SHA1.HashData(data.AsSpan(i * PieceLength, PieceLength), expected.AsSpan(i * Sha1MultiBuffer.DigestLength, Sha1MultiBuffer.DigestLength));
            }
        });

        var paths = new List<(string Name, double Rate)>();
        var start = Marshal.UnsafeAddrOfPinnedArrayElement(data, 0);
        var messages = Enumerable.Range(0, Pieces).Select(i => start + (i * PieceLength)).ToArray();
        foreach (var path in new[] { Sha1MultiBuffer.Path.Avx512, Sha1MultiBuffer.Path.Avx2 }.Where(Sha1MultiBuffer.IsSupported))
        {
            var lanes = Sha1MultiBuffer.Lanes(path);
            Array.Clear(digests);
            paths.Add(($"mb {path}", Best(() =>
            {
                for (var i = 0; i < Pieces; i += lanes)
                {
                    var count = Math.Min(lanes, Pieces - i);
                    Sha1MultiBuffer.Hash(path, messages.AsSpan(i, count), PieceLength, digests.AsSpan(i * Sha1MultiBuffer.DigestLength));
                }
            })));
            if (!digests.AsSpan().SequenceEqual(expected))
            {
                Console.Error.WriteLine($"multi-buffer {path} digests differ from SHA1.HashData");
                return Task.FromResult(1);
            }
        }

        var openssl = MakeScenario.OpensslSha1BytesPerSecond();
        foreach (var (name, rate) in paths)
        {
            Report(name, rate, openssl);
        }

        Report("SHA1.HashData", single, openssl);
        Console.WriteLine(openssl is { } o ? $"openssl:       {o / 1e9:0.000} GB/s (speed -evp sha1 -seconds 3, 16384-byte column)" : "openssl:       not available");
        foreach (var (name, rate) in paths)
        {
            Console.WriteLine($"ratio:         {name} / SHA1.HashData = {rate / single:0.00}");
        }

        return Task.FromResult(0);
    }

    private static double Best(Action hashAll)
    {
        // Warm-up for a second: the JIT's tier-up and the first touch of the pages.
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < TimeSpan.FromSeconds(1);)
        {
            hashAll();
        }

        var best = double.MaxValue;
        for (var run = 0; run < Runs; run++)
        {
            var watch = Stopwatch.StartNew();
            hashAll();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
        }

        return (double)Pieces * PieceLength / best;
    }

    private static void Report(string name, double rate, double? openssl)
    {
        var ofOpenssl = openssl is { } o ? $", {rate / o:0.00} x openssl" : "";
        Console.WriteLine($"{name + ":",-14} {rate / 1e9:0.000} GB/s{ofOpenssl}");
    }
}
