using System.CommandLine;
using System.Text.Json;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Node.Commands;

/// <summary><c>torrentactors status --node ADDRESS</c>: one <c>ID:NAME:PERCENT</c> line per torrent of a running node.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static Command Create()
    {
        var client = new RemoteClientOptions();
        var longForm = new Option<bool>("--long", "-l")
        {
            Description = "Add the infohash and state (ID:NAME:PERCENT INFOHASH STATE), and on a cluster member the replicas: complete copies/target, at-target or below-target, each member's copy (* = a holder)",
        };
        var json = new Option<bool>("--json") { Description = "One JSON object per torrent (with its replicas on a cluster member)" };
        var command = new Command("status", "Print a running node's torrents, one ID:NAME:PERCENT line each.") { longForm, json };
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
                    await stdout.WriteLineAsync(
                        result.GetValue(json) ? JsonSerializer.Serialize(torrent, JsonOptions)
                        : result.GetValue(longForm) ? RemoteClientOptions.LongLine(torrent)
                        : RemoteClientOptions.Line(torrent));
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
