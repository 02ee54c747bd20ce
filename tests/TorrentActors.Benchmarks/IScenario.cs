namespace TorrentActors.Benchmarks;

/// <summary>
/// A whole-program comparison run side by side with an anchor tool in the same run
/// (e.g. our maker against mktorrent). Prints its figures and the ratios to stdout.
/// </summary>
public interface IScenario
{
    string Name { get; }

    string Description { get; }

    Task<int> RunAsync(string[] args);
}
