using System.IO.Pipelines;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Contracts.Remote;
using TorrentActors.Engine.Client;

namespace TorrentActors.Actors.Tests.Support;

/// <summary>
/// A real host with the production wiring (<see cref="NodeActorsHosting.AddNodeActors"/>), a fake engine,
/// a pipe for stdin and a <see cref="LineCapture"/> for stdout. Temp folders are deleted on dispose.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly StreamWriter _stdinWriter;
    private readonly TempFolder _folder;

    private TestNode(IHost host, TempFolder folder, NodeActorSettings settings, FakeTorrentEngine engine, LineCapture stdout, StreamWriter stdinWriter)
    {
        Host = host;
        _folder = folder;
        Root = folder.Path;
        Settings = settings;
        Engine = engine;
        Stdout = stdout;
        _stdinWriter = stdinWriter;
        System = host.Services.GetRequiredService<ActorSystem>();
        Registry = host.Services.GetRequiredService<ActorRegistry>();
    }

    public IHost Host { get; }

    public string Root { get; }

    public NodeActorSettings Settings { get; }

    public FakeTorrentEngine Engine { get; }

    public LineCapture Stdout { get; }

    public ActorSystem System { get; }

    public ActorRegistry Registry { get; }

    /// <summary>
    /// Starts a node; its registry is kept in memory, or in the SQLite file <paramref name="stateDatabasePath"/>
    /// (which outlives the node, so another node can start on it).
    /// </summary>
    public static async Task<TestNode> StartAsync(
        FakeTorrentEngine? engine = null,
        Func<NodeActorSettings, NodeActorSettings>? configure = null,
        TextReader? stdin = null,
        string? stateDatabasePath = null,
        Action<AkkaConfigurationBuilder, NodeActorSettings>? akka = null)
    {
        var folder = new TempFolder("ta-actors-");
        var root = folder.Path;
        var settings = new NodeActorSettings
        {
            TorrentDirectory = Path.Combine(root, "torrents"),
            DownloadDirectory = Path.Combine(root, "downloads"),
            WorkingDirectory = root,
            RestartMinBackoff = TimeSpan.FromMilliseconds(50),
            RestartMaxBackoff = TimeSpan.FromMilliseconds(200),
            HttpTimeout = TimeSpan.FromSeconds(30),
            StateDatabasePath = stateDatabasePath,
        };
        settings = configure?.Invoke(settings) ?? settings;
        engine ??= new FakeTorrentEngine();
        var stdout = new LineCapture();
        var pipe = new Pipe();
        var reader = stdin ?? new StreamReader(pipe.Reader.AsStream());
        var writer = new StreamWriter(pipe.Writer.AsStream()) { AutoFlush = true, NewLine = "\n" };

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddSingleton<ITorrentEngine>(engine);
        builder.Services.AddNodeActorServices(settings, reader, stdout);
        builder.Services.AddAkka(RemoteProtocol.SystemName, configuration =>
        {
            configuration.AddNodeActors(stateDatabasePath: stateDatabasePath);
            akka?.Invoke(configuration, settings);
        });
        var host = builder.Build();
        await host.StartAsync();
        return new TestNode(host, folder, settings, engine, stdout, writer);
    }

    public Task SendAsync(string line) => _stdinWriter.WriteLineAsync(line);

    public async ValueTask DisposeAsync()
    {
        await _stdinWriter.DisposeAsync();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await Host.StopAsync(cts.Token);
        }

        Host.Dispose();
        _folder.Dispose();
    }
}
