using System.IO.Pipelines;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Contracts.Remote;
using TorrentActors.Engine.Client;

namespace TorrentActors.Actors.Tests.Cluster;

/// <summary>
/// A cluster member in a generic host with the production wiring (<see cref="NodeActorsHosting.AddNodeActors"/> with a
/// <see cref="ClusterMembership"/>, strict remoting on 127.0.0.1 port 0), a fake engine, a pipe for stdin and a
/// <see cref="LineCapture"/> for stdout. Its state database is a file in <paramref name="stateFolder"/>, which outlives it.
/// </summary>
internal sealed class ClusterTestNode : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly StreamWriter _stdin;
    private bool _stopped;

    private ClusterTestNode(IHost host, string name, string root, LineCapture stdout, StreamWriter stdin)
    {
        _host = host;
        Name = name;
        Root = root;
        Stdout = stdout;
        _stdin = stdin;
        System = host.Services.GetRequiredService<ActorSystem>();
        Address = ((ExtendedActorSystem)System).Provider.DefaultAddress;
    }

    public string Name { get; }

    /// <summary>The node's folder: torrents, downloads, data and state.</summary>
    public string Root { get; }

    public LineCapture Stdout { get; }

    public ActorSystem System { get; }

    public Address Address { get; }

    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    public string DatabasePath => Path.Combine(Root, "state", "torrentactors.db");

    /// <summary>Starts a member named <paramref name="name"/> under <paramref name="root"/>, joining through <paramref name="seed"/> (none: it forms a cluster).</summary>
    public static async Task<ClusterTestNode> StartAsync(
        string root, string name, Address? seed = null, Func<ClusterSettings, ClusterSettings>? configure = null, string? hocon = null)
    {
        Directory.CreateDirectory(Path.Combine(root, "state"));
        var settings = new NodeActorSettings
        {
            TorrentDirectory = Directory.CreateDirectory(Path.Combine(root, "torrents")).FullName,
            DownloadDirectory = Directory.CreateDirectory(Path.Combine(root, "downloads")).FullName,
            WorkingDirectory = Directory.CreateDirectory(Path.Combine(root, "data")).FullName,
            StateDatabasePath = Path.Combine(root, "state", "torrentactors.db"),
        };
        var cluster = new ClusterSettings
        {
            Enabled = true,
            SeedNodes = seed is null ? [] : [seed.ToString()],
            DownAfter = TimeSpan.FromSeconds(3),
        };
        cluster = configure?.Invoke(cluster) ?? cluster;
        var membership = new ClusterMembership(cluster, name, settings.StateDatabasePath);

        var stdout = new LineCapture();
        var pipe = new Pipe();
        var writer = new StreamWriter(pipe.Writer.AsStream()) { AutoFlush = true, NewLine = "\n" };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ITorrentEngine>(new FakeTorrentEngine());
        builder.Services.AddNodeActorServices(settings, new StreamReader(pipe.Reader.AsStream()), stdout);
        builder.Services.AddAkka(RemoteProtocol.SystemName, akka =>
        {
            akka
                .AddNodeActors(LogLevel.Information, settings.StateDatabasePath, membership)
                .AddRemoteGateway()
                .WithTorrentRemoting(new RemoteSettings { Port = 0 });
            if (hocon is not null)
            {
                akka.AddHocon(hocon, HoconAddMode.Prepend);
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return new ClusterTestNode(host, name, root, stdout, writer);
    }

    public Task SendAsync(string line) => _stdin.WriteLineAsync(line);

    /// <summary>Waits until the cluster this node sees has <paramref name="count"/> members up.</summary>
    public async Task WaitForMembersUpAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (Cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) != count)
        {
            await Task.Delay(100, cts.Token);
        }
    }

    /// <summary>Waits until this member's copy of the catalog satisfies <paramref name="condition"/>; returns it.</summary>
    public async Task<IReadOnlyDictionary<string, CatalogEntry>> WaitForCatalogAsync(
        Func<IReadOnlyDictionary<string, CatalogEntry>, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var catalog = await CatalogReading.ReadLocalAsync(System, cts.Token);
            if (condition(catalog))
            {
                return catalog;
            }

            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Name}'s catalog did not get there within {timeout}: " +
                    string.Join(", ", catalog.Values.Select(e => $"{e.Id} {e.Name} {e.Goal} v{e.Version}")));
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not within {timeout}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Leaves the cluster gracefully and stops the host (the state folder stays).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _stdin.DisposeAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _host.StopAsync(cts.Token);
        }

        if (_host.Services.GetService<ITorrentEngine>() is { } engine)
        {
            await engine.DisposeAsync();
        }

        _host.Dispose();
    }

    public ValueTask DisposeAsync() => new(StopAsync());
}
