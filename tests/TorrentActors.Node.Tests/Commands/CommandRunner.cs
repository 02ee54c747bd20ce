using System.CommandLine;
using System.Diagnostics;
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
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "torrentactors.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return new CommandOutcome(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
