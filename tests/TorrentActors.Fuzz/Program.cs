using SharpFuzz;
using TorrentActors.Fuzz;

// torrentactors fuzz target for the bencode decoder and the .torrent parser.
//   (no arguments)   AFL mode: `afl-fuzz -i corpus -o findings -- dotnet TorrentActors.Fuzz.dll` after `sharpfuzz` instrumentation
//   --libfuzzer      libFuzzer mode (with the libfuzzer-dotnet driver)
//   --write-corpus D writes the seed inputs into folder D
//   --smoke N [--seed S]  runs the same target over N mutated inputs in-process; exit 1 on any crash or broken invariant
if (args.Length >= 2 && args[0] == "--smoke")
{
    var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
    var seed = args.Length >= 4 && args[2] == "--seed" ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1;
    var result = SmokeRun.Run(count, seed);
    Console.Error.WriteLine(result.Summary);
    return result.Failures.Count == 0 ? 0 : 1;
}

if (args.Length >= 2 && args[0] == "--write-corpus")
{
    Directory.CreateDirectory(args[1]);
    for (var i = 0; i < Mutator.Seeds.Count; i++)
    {
        File.WriteAllBytes(Path.Combine(args[1], $"seed-{i}.bin"), Mutator.Seeds[i]);
    }

    return 0;
}

if (args.Length >= 1 && args[0] == "--libfuzzer")
{
    Fuzzer.LibFuzzer.Run(span => FuzzTarget.Run(span));
    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    FuzzTarget.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
