using Xunit;

namespace TorrentActors.Node.Tests.Repository;

/// <summary>
/// <c>.ci/run</c> prints <c>N passed, N failed, N skipped</c> from the TRX files of the test run, through
/// <c>.ci/trx-summary.py</c>. These tests run that script (python3, as CI does) over TRX files shaped like the ones
/// <c>dotnet test --logger trx</c> writes.
/// </summary>
public sealed class CiSummaryTests : IDisposable
{
    private readonly TempFolder _temp = new("ta-trx-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Tests_skipped_at_run_time_count_as_skipped_although_the_trx_counters_say_none()
    {
        // What the TRX logger writes for one passed test and two Xunit.SkippableFact tests whose Skip.If fired:
        // each skip is a result with outcome NotExecuted, while the Counters keep notExecuted="0".
        WriteTrx("a.trx", ("A.Passes", "Passed"), ("A.Skips", "NotExecuted"), ("A.SkipsToo", "NotExecuted"));

        Assert.Equal("1 passed, 0 failed, 2 skipped", await SummarizeAsync());
    }

    [Fact]
    public async Task Results_of_every_trx_file_are_summed_and_failures_counted_as_failed()
    {
        WriteTrx("a.trx", ("A.Passes", "Passed"), ("A.Fails", "Failed"));
        Directory.CreateDirectory(Path.Combine(_temp.Path, "nested"));
        WriteTrx(Path.Combine("nested", "b.trx"), ("B.Passes", "Passed"), ("B.Theory(x: 1)", "Passed"), ("B.Skips", "NotExecuted"), ("B.TimesOut", "Timeout"));

        Assert.Equal("3 passed, 2 failed, 1 skipped", await SummarizeAsync());
    }

    [Fact]
    public async Task A_test_host_that_crashed_counts_as_a_failure_even_without_a_failed_result()
    {
        WriteTrx("a.trx", [("A.Passes", "Passed")], counterErrors: 1);

        Assert.Equal("1 passed, 1 failed, 0 skipped", await SummarizeAsync());
    }

    private void WriteTrx(string name, params (string Test, string Outcome)[] results) => WriteTrx(name, results, counterErrors: 0);

    private void WriteTrx(string name, (string Test, string Outcome)[] results, int counterErrors)
    {
        var rows = string.Concat(results.Select(r =>
            $"""    <UnitTestResult executionId="{Guid.NewGuid()}" testId="{Guid.NewGuid()}" testName="{r.Test}" outcome="{r.Outcome}" />{"\n"}"""));
        var passed = results.Count(r => r.Outcome == "Passed");
        var failed = results.Count(r => r.Outcome == "Failed");
        var trx = $"""
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun id="{Guid.NewGuid()}" name="ci" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <Results>
            {rows}  </Results>
              <ResultSummary outcome="Completed">
                <Counters total="{results.Length}" executed="{passed + failed}" passed="{passed}" failed="{failed}" error="{counterErrors}" timeout="0" aborted="0" inconclusive="0" notExecuted="0" />
              </ResultSummary>
            </TestRun>
            """;
        File.WriteAllText(Path.Combine(_temp.Path, name), trx);
    }

    private async Task<string> SummarizeAsync()
    {
        var result = await TestProcess.RunAsync("python3", [Path.Combine(BuildScriptTests.Root, ".ci", "trx-summary.py"), _temp.Path], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout.Trim();
    }
}
