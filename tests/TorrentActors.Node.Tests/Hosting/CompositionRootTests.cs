using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TorrentActors.Actors;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Engine.Client;
using TorrentActors.Node.Commands;
using TorrentActors.Node.Hosting;
using TorrentActors.Node.Tests.Commands;
using Xunit;

namespace TorrentActors.Node.Tests.Hosting;

/// <summary>
/// The sections Engine, EmbeddedTracker and Remote of the config, then TORRENTACTORS_ environment variables
/// (<c>__</c> between section and key), then flags, reach the node that <see cref="NodeHost.Build"/> makes.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public sealed class CompositionRootTests : IDisposable
{
    private static readonly string[] Variables =
        ["TORRENTACTORS_ENGINE__MAXPEERSPERTORRENT", "TORRENTACTORS_REMOTE__MAXFRAMEBYTES", "TORRENTACTORS_LISTENPORT"];

    private readonly TempFolder _temp = new("ta-root-");

    public void Dispose()
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        _temp.Dispose();
    }

    private string ConfigFile(string json)
    {
        var file = Path.Combine(_temp.Path, "node.json");
        File.WriteAllText(file, json);
        return file;
    }

    [Fact]
    public async Task Engine_tracker_and_remote_sections_of_a_config_file_reach_the_running_node()
    {
        var file = ConfigFile("""
            {
              "Engine": { "MaxPeersPerTorrent": 17, "SnubTimeout": "00:00:42", "ClientName": "Configured 1.0" },
              "EmbeddedTracker": { "Interval": "00:07:00", "MinInterval": "00:00:30" },
              "Remote": { "MaxFrameBytes": 700000 }
            }
            """);
        var (settings, configuration) = NodeSettingsTests.Read("--config", file, "--tracker-port", "0", "--torrent-dir", Path.Combine(_temp.Path, "t"), "--download-dir", Path.Combine(_temp.Path, "d"), "--state-dir", Path.Combine(_temp.Path, "s"));
        settings.Validate();

        using var host = NodeHost.Build(settings, configuration, TextReader.Null, new StringWriter());
        await host.StartAsync();
        try
        {
            var engine = host.Services.GetRequiredService<EngineSettings>();
            Assert.Equal(17, engine.MaxPeersPerTorrent);
            Assert.Equal(TimeSpan.FromSeconds(42), engine.SnubTimeout);
            Assert.Equal("Configured 1.0", engine.ClientName);
            Assert.Equal(new EngineSettings().MaxOutstandingRequests, engine.MaxOutstandingRequests);

            // The running tracker hands out the configured interval.
            var announce = host.Services.GetRequiredService<NodeActorSettings>().AnnounceUrl!;
            using var http = new HttpClient();
            var reply = await http.GetByteArrayAsync(
                announce + "?info_hash=" + new string('A', 20) + "&peer_id=" + new string('B', 20) + "&port=6881&compact=1");
            Assert.Contains("8:intervali420e", System.Text.Encoding.Latin1.GetString(reply), StringComparison.Ordinal);

            // The running actor system's remoting takes the configured frame limit.
            var system = host.Services.GetRequiredService<ActorSystem>();
            Assert.Equal(700000, system.Settings.Config.GetInt("akka.remote.dot-netty.tcp.maximum-frame-size"));
            Assert.Equal(700000, host.Services.GetRequiredService<RemoteSettings>().MaxFrameBytes);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void An_environment_variable_overrides_the_file_and_a_flag_overrides_the_environment()
    {
        var file = ConfigFile("""{ "Engine": { "MaxPeersPerTorrent": 17 }, "Remote": { "MaxFrameBytes": 700000, "Port": 4999 } }""");

        var (settings, _) = NodeSettingsTests.Read("--config", file);
        Assert.Equal(17, settings.ToEngineSettings().MaxPeersPerTorrent);
        Assert.Equal(700000, settings.ToRemoteSettings()!.MaxFrameBytes);
        Assert.Equal(4999, settings.ToRemoteSettings()!.Port);

        Environment.SetEnvironmentVariable("TORRENTACTORS_ENGINE__MAXPEERSPERTORRENT", "23");
        Environment.SetEnvironmentVariable("TORRENTACTORS_REMOTE__MAXFRAMEBYTES", "800000");
        (settings, _) = NodeSettingsTests.Read("--config", file);
        Assert.Equal(23, settings.ToEngineSettings().MaxPeersPerTorrent);
        Assert.Equal(800000, settings.ToRemoteSettings()!.MaxFrameBytes);

        (settings, _) = NodeSettingsTests.Read("--config", file, "--remote-max-frame", "900000", "--remote-port", "0");
        Assert.Equal(900000, settings.ToRemoteSettings()!.MaxFrameBytes);
        Assert.Equal(0, settings.ToRemoteSettings()!.Port);
        Assert.Equal(23, settings.ToEngineSettings().MaxPeersPerTorrent);
    }

    [Fact]
    public void The_top_level_keys_the_readme_documents_keep_working_and_win_over_the_sections()
    {
        var file = ConfigFile("""{ "Host": "127.0.0.2", "Engine": { "ListenPort": 1234 }, "EmbeddedTracker": { "HttpPort": 1 } }""");
        Environment.SetEnvironmentVariable("TORRENTACTORS_LISTENPORT", "7000");

        var (settings, _) = NodeSettingsTests.Read("--config", file, "--tracker-port", "7001");
        var engine = settings.ToEngineSettings();
        Assert.Equal(7000, engine.ListenPort);
        Assert.Equal(System.Net.IPAddress.Parse("127.0.0.2"), engine.ListenAddress);
        var tracker = settings.ToTrackerOptions()!;
        Assert.Equal(7001, tracker.HttpPort);
        Assert.Equal(7001, tracker.UdpPort);
        Assert.Equal("127.0.0.2", tracker.Host);
    }

    [Fact]
    public void No_remote_and_no_stdin_are_keys_as_well_as_flags()
    {
        var file = ConfigFile("""{ "NoRemote": true }""");
        var (settings, _) = NodeSettingsTests.Read("--config", file);
        Assert.Null(settings.ToRemoteSettings());

        (settings, _) = NodeSettingsTests.Read("--config", file, "--no-stdin");
        Assert.Equal("--no-stdin needs remote control; drop --no-remote", RemoteRunOptions.Check(settings));
    }

    [Theory]
    [InlineData("""{ "Engine": { "MaxPeersPerTorrent": "many" } }""", "Engine:MaxPeersPerTorrent")]
    [InlineData("""{ "Engine": { "MaxPeersPerTorrent": 0 } }""", "MaxPeersPerTorrent")]
    [InlineData("""{ "Engine": { "MaxConnectionsPerAddress": 0 } }""", "MaxConnectionsPerAddress")]
    [InlineData("""{ "Engine": { "MaxHalfOpenConnections": 0 } }""", "MaxHalfOpenConnections")]
    [InlineData("""{ "Engine": { "FirstMessageTimeout": "00:00:00" } }""", "FirstMessageTimeout")]
    [InlineData("""{ "EmbeddedTracker": { "MaxNumWant": 500 } }""", "numwant")]
    [InlineData("""{ "LogLevel": "loud" }""", "LogLevel")]
    [InlineData("""{ "Engine": """, "node.json")]
    public async Task A_setting_that_does_not_fit_is_refused_with_its_name_and_exit_code_2(string json, string named)
    {
        var file = ConfigFile(json);

        var outcome = await CommandRunner.RunProcessAsync(_temp.Path, "run", "--config", file, "--no-remote", "--no-tracker");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains(named, outcome.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("torrentactors: bad settings: ", outcome.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", outcome.Stderr, StringComparison.Ordinal);
    }
}

/// <summary>Tests that set TORRENTACTORS_ environment variables run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class EnvironmentCollection
{
    public const string Name = "process environment";
}
