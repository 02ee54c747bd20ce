using System.CommandLine;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Node.Commands;

/// <summary><c>torrentactors watch --node ADDRESS</c>: prints the node's progress and error lines as it prints them.</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var client = new RemoteClientOptions();
        var untilComplete = new Option<bool>("--until-complete") { Description = "Exit 0 once the node has torrents and all of them are at 100%" };
        var command = new Command("watch", "Print a running node's ID:NAME:PERCENT and error lines as they happen (current state first).") { untilComplete };
        client.SetConnectedAction(command, async (remote, result, stdout, stderr, cancellationToken) =>
        {
            var stopWhenComplete = result.GetValue(untilComplete);
            var percents = new SortedDictionary<int, int>();
            var events = remote.Subscribe();
            try
            {
                await foreach (var item in events.ReadAllAsync(cancellationToken))
                {
                    if (item.End is { } end)
                    {
                        await stderr.WriteLineAsync($"error: {end}");
                        return 1;
                    }

                    switch (item.Message)
                    {
                        case RemoteReplies.Subscribed subscribed:
                            await stderr.WriteLineAsync($"watching {remote.Node}");
                            foreach (var torrent in subscribed.Torrents)
                            {
                                percents[torrent.Id] = torrent.Percent;
                                await stdout.WriteLineAsync(RemoteClientOptions.Line(torrent));
                            }

                            break;
                        case RemoteEvents.TorrentProgress progress:
                            percents[progress.Id] = progress.Percent;
                            await stdout.WriteLineAsync(RemoteClientOptions.Line(progress));
                            break;
                        case RemoteEvents.CommandAnswered answered:
                            await stdout.WriteLineAsync(RemoteClientOptions.Line(new RemoteReplies.CommandApplied(answered.Command, answered.Id, answered.Name, answered.Outcome)));
                            break;
                        case RemoteEvents.NodeError error:
                            await stdout.WriteLineAsync(RemoteClientOptions.Line(error.Command, error.Reason));
                            break;
                        case RemoteEvents.TorrentRemoved removed:
                            percents.Remove(removed.Id);
                            break;
                        case RemoteEvents.ReplicaChanged replica:
                            await stdout.WriteLineAsync(RemoteClientOptions.Line(replica));
                            break;
                        case RemoteReplies.CommandFailed refused:
                            await stderr.WriteLineAsync($"error: {refused.Reason}");
                            return 1;
                    }

                    await stdout.FlushAsync(cancellationToken);
                    if (stopWhenComplete && percents.Count > 0 && percents.Values.All(p => p >= 100))
                    {
                        return 0;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }

            return 0;
        });
        return command;
    }
}
