using System.Runtime.Intrinsics.X86;
using TorrentActors.Engine.Hashing;

namespace TorrentActors.Benchmarks;

/// <summary>The machine a figure was measured on: CPU model, cores and the features our hot paths depend on.</summary>
public static class MachineInfo
{
    public static string Describe()
    {
        var model = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null && line.IndexOf(':') is var colon and >= 0)
            {
                model = line[(colon + 1)..].Trim();
            }
        }

        return $"machine: {model}, {Environment.ProcessorCount} cores, AVX-512 {YesNo(Avx512F.IsSupported)}, AVX2 {YesNo(Avx2.IsSupported)}, "
            + $"SHA-NI {YesNo(Sha1MultiBuffer.HasShaExtensions)}, multi-buffer SHA-1 lanes {Sha1MultiBuffer.PreferredLaneCount}";
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}
