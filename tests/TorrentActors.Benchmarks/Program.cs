using BenchmarkDotNet.Running;
using TorrentActors.Benchmarks;

// `bench SCENARIO [args]` runs a side-by-side scenario against the anchor tools (see IScenario);
// anything else goes to BenchmarkDotNet's switcher (micro-benchmarks in this assembly).
var scenarios = typeof(IScenario).Assembly.GetTypes()
    .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IScenario).IsAssignableFrom(t))
    .Select(t => (IScenario)Activator.CreateInstance(t)!)
    .ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

if (args.Length > 0 && scenarios.TryGetValue(args[0], out var scenario))
{
    Console.WriteLine(MachineInfo.Describe()); // every figure says what it was measured on
    return await scenario.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] is "list" or "--list-scenarios")
{
    foreach (var s in scenarios.Values.OrderBy(s => s.Name))
    {
        Console.WriteLine($"{s.Name,-12} {s.Description}");
    }

    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(IScenario).Assembly).Run(args);
return 0;
