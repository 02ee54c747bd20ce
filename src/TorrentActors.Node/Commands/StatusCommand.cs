using System.CommandLine;
using TorrentActors.Actors.Remote;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Node.Commands;

/// <summary><c>torrentactors status --node ADDRESS</c>: one <c>ID:NAME:PERCENT</c> line per torrent of a running node.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var client = new RemoteClientOptions();
        var longForm = new Option<bool>("--long", "-l") { Description = "Add the infohash and state: ID:NAME:PERCENT INFOHASH STATE" };
        var command = new Command("status", "Print a running node's torrents, one ID:NAME:PERCENT line each.") { longForm };
        client.SetConnectedAction(command, async (remote, result, stdout, stderr, cancellationToken) =>
        {
            try
            {
                var reply = await remote.AskAsync(RemoteCommands.GetStatus.Instance, TimeSpan.FromSeconds(30));
                if (reply is not RemoteReplies.StatusReport report)
                {
                    await stderr.WriteLineAsync($"error: unexpected reply {reply.GetType().Name}");
                    return 1;
                }

                foreach (var torrent in report.Torrents)
                {
                    var line = RemoteClientOptions.Line(torrent);
                    await stdout.WriteLineAsync(result.GetValue(longForm) ? $"{line} {torrent.InfoHash} {torrent.State}" : line);
                }

                return 0;
            }
            catch (RemoteNodeException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
