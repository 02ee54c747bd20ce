using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TorrentActors.Actors;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Engine.Client;
using TorrentActors.Node.Hosting;

namespace TorrentActors.Node.Commands;

internal static class RunCommand
{
    /// <summary>Adds <c>run</c>, which is also what the tool does with no command (same options).</summary>
    public static void Register(RootCommand root)
    {
        var command = new Command("run", "Run the node: read commands on stdin, report ID:NAME:PERCENT on stdout.");
        var commandOptions = new RunOptions();
        commandOptions.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(commandOptions, result, cancellationToken));
        root.Subcommands.Add(command);

        var rootOptions = new RunOptions();
        rootOptions.AddTo(root);
        root.SetAction((result, cancellationToken) => RunAsync(rootOptions, result, cancellationToken));
    }

    private static async Task<int> RunAsync(RunOptions options, ParseResult result, CancellationToken cancellationToken)
    {
        NodeSettings settings;
        IConfiguration configuration;
        try
        {
            (settings, configuration) = options.Read(result);
            settings.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException or InvalidDataException or IOException)
        {
            await Console.Error.WriteLineAsync($"torrentactors: bad settings: {Flatten(ex)}");
            return 2;
        }

        if ((RemoteRunOptions.Check(settings) ?? ClusterRunOptions.Check(settings)) is { } remoteError)
        {
            await Console.Error.WriteLineAsync($"torrentactors: {remoteError}");
            return 2;
        }

        try
        {
            Directory.CreateDirectory(settings.TorrentDirectory);
            Directory.CreateDirectory(settings.DownloadDirectory);

            // Only the stdout actor writes the protocol; anything else that writes to Console.Out (Akka's fallback
            // logger prints late shutdown messages there) lands on stderr as log lines.
            var protocolOut = Console.Out;
            Console.SetOut(new StrayOutputWriter(Console.Error, settings.LogLevel));
            var host = NodeHost.Build(settings, configuration, Console.In, protocolOut);
            try
            {
                await host.StartAsync(cancellationToken);
                await RemoteRunOptions.AnnounceAsync(host.Services, Console.Error);
                await ClusterRunOptions.AnnounceAsync(host.Services, Console.Error);
                var engine = host.Services.GetRequiredService<ITorrentEngine>();
                var actorSettings = host.Services.GetRequiredService<NodeActorSettings>();
                await Console.Error.WriteLineAsync(
                    $"torrentactors: peers on {engine.ListenEndPoint}; tracker {actorSettings.AnnounceUrl ?? "(none)"}; " +
                    $"torrents in {actorSettings.TorrentDirectory}; downloads in {actorSettings.DownloadDirectory}");
                await host.WaitForShutdownAsync(CancellationToken.None);
                if (host.Services.GetRequiredService<NodeFailure>().Reason is { } failure)
                {
                    await Console.Error.WriteLineAsync($"torrentactors: {failure}");
                    return 3;
                }

                return 0;
            }
            finally
            {
                // Disposing the container disposes the engine (after the actors stopped its sessions) and the tracker.
                await ((IAsyncDisposable)host).DisposeAsync();
            }
        }
        catch (StateFolderException ex)
        {
            await Console.Error.WriteLineAsync($"torrentactors: {ex.Message}");
            return 3;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or NotSupportedException or InvalidOperationException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"torrentactors: failed: {Flatten(ex)}");
            return 1;
        }
    }

    /// <summary>The exception's message and its inner ones', on one line.</summary>
    private static string Flatten(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message.ReplaceLineEndings(" "));
        }

        return string.Join(": ", messages.Distinct());
    }
}
