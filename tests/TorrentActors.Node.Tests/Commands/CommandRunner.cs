using TorrentActors.Node.Commands;

namespace TorrentActors.Node.Tests.Commands;

internal sealed record CommandOutcome(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the node's commands in-process with captured stdout/stderr, or the built executable as a real process.</summary>
internal static class CommandRunner
{
    public static async Task<CommandOutcome> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await NodeCommands.CreateRoot().Parse(args).InvokeAsync(NodeCommands.Invocation(stdout, stderr));
        return new CommandOutcome(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs <c>torrentactors.dll</c> (copied beside the tests) under <c>dotnet</c> in <paramref name="workingDirectory"/>.</summary>
    public static async Task<CommandOutcome> RunProcessAsync(string workingDirectory, params string[] args)
    {
        var result = await TestProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "torrentactors.dll"), .. args], workingDirectory);
        return new CommandOutcome(result.ExitCode, result.Stdout, result.Stderr);
    }
}
