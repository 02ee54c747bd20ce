using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using TorrentActors.Engine.Client;

namespace TorrentActors.Actors.Tests.Remote;

/// <summary>An actor system in a generic host, wired like production: a full node with its gateway, or a bare client.</summary>
internal sealed class RemoteTestSystem : IAsyncDisposable
{
    private readonly IHost _host;

    private readonly TextWriter? _syncStdout;

    private readonly TempFolder? _folder;

    private RemoteTestSystem(IHost host, TempFolder? folder, StringWriter? stdout, TextWriter? syncStdout)
    {
        _host = host;
        _folder = folder;
        Root = folder?.Path;
        Stdout = stdout;
        _syncStdout = syncStdout;
        System = host.Services.GetRequiredService<ActorSystem>();
        Address = ((ExtendedActorSystem)System).Provider.DefaultAddress;
    }

    public ActorSystem System { get; }

    public Address Address { get; }

    /// <summary>The node's folder (torrents, downloads, data); null for a client.</summary>
    public string? Root { get; }

    /// <summary>What the node printed, line by line.</summary>
    public StringWriter? Stdout { get; }

    public ActorSelection Gateway(ActorSystem from) => from.ActorSelection(Address + RemoteProtocol.GatewayPath);

    public static async Task<RemoteTestSystem> StartNodeAsync(RemoteSettings? remote = null)
    {
        var folder = new TempFolder("ta-remote-");
        var root = folder.Path;
        var settings = new NodeActorSettings
        {
            TorrentDirectory = Directory.CreateDirectory(Path.Combine(root, "torrents")).FullName,
            DownloadDirectory = Directory.CreateDirectory(Path.Combine(root, "downloads")).FullName,
            WorkingDirectory = Directory.CreateDirectory(Path.Combine(root, "data")).FullName,
        };
        var stdout = new StringWriter();
        var syncStdout = TextWriter.Synchronized(stdout);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ITorrentEngine>(new ClientEngine(new EngineSettings()));
        builder.Services.AddNodeActorServices(settings, new StringReader(""), syncStdout);
        builder.Services.AddAkka(RemoteProtocol.SystemName, akka => akka
            .AddNodeActors()
            .AddRemoteGateway()
            .WithTorrentRemoting(remote ?? new RemoteSettings { Port = 0 }));
        var host = builder.Build();
        await host.Services.GetRequiredService<ITorrentEngine>().StartAsync();
        await host.StartAsync();
        return new RemoteTestSystem(host, folder, stdout, syncStdout);
    }

    public static async Task<RemoteTestSystem> StartClientAsync(RemoteSettings? remote = null, Action<AkkaConfigurationBuilder>? configure = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka(RemoteProtocol.SystemName + "-client", akka =>
        {
            if (configure is null)
            {
                akka.WithTorrentRemoting(remote ?? new RemoteSettings { Port = 0 });
            }
            else
            {
                configure(akka);
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return new RemoteTestSystem(host, null, null, null);
    }

    /// <summary>The node's stdout so far (the synchronized writer locks itself while writing).</summary>
    public string[] StdoutLines()
    {
        if (_syncStdout is null || Stdout is null)
        {
            return [];
        }

        lock (_syncStdout)
        {
            return Stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
        if (_host.Services.GetService<ITorrentEngine>() is { } engine)
        {
            await engine.DisposeAsync();
        }

        _host.Dispose();
        _folder?.Dispose();
    }
}
