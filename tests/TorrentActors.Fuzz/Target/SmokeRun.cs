namespace TorrentActors.Fuzz;

/// <summary>Runs <see cref="FuzzTarget"/> over seeded mutations in-process: a short fuzz run CI can afford.</summary>
public static class SmokeRun
{
    public sealed record Result(int Inputs, int Bencode, int Torrents, IReadOnlyList<string> Failures)
    {
        public string Summary =>
            $"smoke: {Inputs} inputs, {Bencode} valid bencode, {Torrents} valid torrents, {Failures.Count} failures"
            + string.Concat(Failures.Take(5).Select(f => Environment.NewLine + "  " + f));
    }

    public static Result Run(int count, int seed)
    {
        var mutator = new Mutator(seed);
        var failures = new List<string>();
        int bencode = 0, torrents = 0;
        foreach (var input in Mutator.Seeds.Concat(Enumerable.Range(0, count).Select(_ => mutator.Next())))
        {
            try
            {
                switch (FuzzTarget.Run(input))
                {
                    case FuzzTarget.Outcome.Torrent:
                        torrents++;
                        bencode++;
                        break;
                    case FuzzTarget.Outcome.Bencode:
                        bencode++;
                        break;
                }
            }
            catch (Exception crash) when (crash is not OutOfMemoryException)
            {
                // Any other exception is exactly what the fuzz run is looking for: record it with the input.
                failures.Add($"{crash.GetType().Name}: {crash.Message} input={Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 256)))}");
            }
        }

        return new Result(count + Mutator.Seeds.Count, bencode, torrents, failures);
    }
}
