using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TorrentActors.Engine.Client;
using TorrentActors.Node.Hosting;
using TorrentActors.Tracker;

namespace TorrentActors.Node.Commands;

internal static class RunCommand
{
    /// <summary>Adds <c>run</c>, which is also what the tool does with no command (same options).</summary>
    public static void Register(RootCommand root)
    {
        var command = new Command("run", "Run the node: read commands on stdin, report ID:NAME:PERCENT on stdout.");
        var commandOptions = new RunOptions();
        commandOptions.AddTo(command);
        var commandRemote = new RemoteRunOptions();
        commandRemote.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(commandOptions.Read(result), commandRemote.Read(result), cancellationToken));
        root.Subcommands.Add(command);

        var rootOptions = new RunOptions();
        rootOptions.AddTo(root);
        var rootRemote = new RemoteRunOptions();
        rootRemote.AddTo(root);
        root.SetAction((result, cancellationToken) => RunAsync(rootOptions.Read(result), rootRemote.Read(result), cancellationToken));
    }

    private static async Task<int> RunAsync((NodeSettings Settings, IConfiguration Configuration) input, RemoteRunOptions.Values remote, CancellationToken cancellationToken)
    {
        var settings = input.Settings;
        if (remote.Error is { } remoteError)
        {
            await Console.Error.WriteLineAsync($"torrentactors: {remoteError}");
            return 2;
        }

        try
        {
            settings.Validate();
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"torrentactors: {ex.Message}");
            return 2;
        }

        Directory.CreateDirectory(settings.TorrentDirectory);
        Directory.CreateDirectory(settings.DownloadDirectory);

        TrackerServer? tracker = null;
        try
        {
            if (settings.Tracker is null && !settings.NoTracker)
            {
                tracker = await TrackerServer.StartAsync(
                    new TrackerOptions
                    {
                        Host = settings.Host,
                        HttpPort = settings.TrackerPort,
                        UdpPort = settings.TrackerPort,
                        TorrentDirectory = Path.GetFullPath(settings.TorrentDirectory),
                    },
                    cancellationToken);
            }

            var announce = settings.Tracker ?? tracker?.AnnounceUri.ToString();
            var actorSettings = remote.Apply(settings.ToActorSettings(announce));
            // Only the stdout actor writes the protocol; anything else that writes to Console.Out (Akka's fallback
            // logger prints late shutdown messages there) lands on stderr as log lines.
            var protocolOut = Console.Out;
            Console.SetOut(new StrayOutputWriter(Console.Error, settings.LogLevel));
            var host = NodeHost.Build(settings, actorSettings, input.Configuration, remote.Stdin(Console.In), protocolOut, remote.Settings);
            try
            {
                await host.StartAsync(cancellationToken);
                await RemoteRunOptions.AnnounceAsync(host.Services, Console.Error);
                var engine = host.Services.GetRequiredService<ITorrentEngine>();
                await Console.Error.WriteLineAsync(
                    $"torrentactors: peers on {engine.ListenEndPoint}; tracker {announce ?? "(none)"}; " +
                    $"torrents in {actorSettings.TorrentDirectory}; downloads in {actorSettings.DownloadDirectory}");
                await host.WaitForShutdownAsync(CancellationToken.None);
                return 0;
            }
            finally
            {
                // Disposing the container disposes the engine (after the actors stopped its sessions).
                await ((IAsyncDisposable)host).DisposeAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or NotSupportedException or InvalidOperationException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"torrentactors: failed: {ex.Message}");
            await Console.Error.WriteLineAsync(ex.ToString());
            return 1;
        }
        finally
        {
            if (tracker is not null)
            {
                await tracker.DisposeAsync();
            }
        }
    }
}
