using TorrentActors.Node.Commands;

return await NodeCommands.CreateRoot().Parse(args).InvokeAsync(NodeCommands.Invocation());
