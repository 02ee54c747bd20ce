using System.CommandLine;

namespace TorrentActors.Node.Commands;

/// <summary>The executable's command line: what <c>Program</c> runs and what the tests run in-process.</summary>
internal static class NodeCommands
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("TorrentActors: a scriptable BitTorrent seeder and downloader built from supervised actors.");
        RunCommand.Register(root);
        root.Subcommands.Add(MakeCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(TrackerCommand.Create());
        root.Subcommands.Add(SendCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        return root;
    }

    /// <summary>
    /// The node handles SIGINT/SIGTERM itself (graceful shutdown through the host's console lifetime), so the parser
    /// must not cancel or kill the process on those signals.
    /// </summary>
    public static InvocationConfiguration Invocation(TextWriter? output = null, TextWriter? error = null)
    {
        var invocation = new InvocationConfiguration { ProcessTerminationTimeout = null };
        if (output is not null)
        {
            invocation.Output = output;
        }

        if (error is not null)
        {
            invocation.Error = error;
        }

        return invocation;
    }
}
