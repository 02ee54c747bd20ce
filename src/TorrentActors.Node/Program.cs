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
return await root.Parse(args).InvokeAsync();
