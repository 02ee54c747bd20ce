using System.CommandLine;
using TorrentActors.Node.Commands;

var root = new RootCommand("TorrentActors: a scriptable BitTorrent seeder and downloader built from supervised actors.");
RunCommand.Register(root);
root.Subcommands.Add(MakeCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(TrackerCommand.Create());
root.Subcommands.Add(SendCommand.Create());
root.Subcommands.Add(WatchCommand.Create());
root.Subcommands.Add(StatusCommand.Create());

// The node handles SIGINT/SIGTERM itself (graceful shutdown through the host's console lifetime),
// so the parser must not cancel or kill the process on those signals.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
