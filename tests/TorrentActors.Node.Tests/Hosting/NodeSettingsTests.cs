using System.CommandLine;
using Microsoft.Extensions.Configuration;
using TorrentActors.Node.Commands;
using TorrentActors.Node.Hosting;
using Xunit;

namespace TorrentActors.Node.Tests.Hosting;

/// <summary>Settings layers: defaults in code, config file, environment (TORRENTACTORS_), then flags given.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class NodeSettingsTests : IDisposable
{
    private const string PortVariable = "TORRENTACTORS_TRACKERPORT";
    private const string StateVariable = "TORRENTACTORS_STATEDIR";
    private readonly TempFolder _temp = new("ta-settings-");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PortVariable, null);
        Environment.SetEnvironmentVariable(StateVariable, null);
        _temp.Dispose();
    }

    /// <summary>Settings as <c>run</c> reads them from these arguments (and the config layers).</summary>
    internal static (NodeSettings Settings, IConfiguration Configuration) Read(params string[] args)
    {
        var options = new RunOptions();
        var command = new Command("run");
        options.AddTo(command);
        var result = command.Parse(args);
        Assert.Empty(result.Errors);
        return options.Read(result);
    }

    [Fact]
    public void Defaults_live_in_the_settings_class()
    {
        var settings = NodeSettings.From(new ConfigurationBuilder().Build());
        Assert.Equal("./torrents", settings.TorrentDirectory);
        Assert.Equal("./downloads", settings.DownloadDirectory);
        Assert.Equal("127.0.0.1", settings.Host);
        Assert.Equal(6969, settings.TrackerPort);
        Assert.Equal(0, settings.ListenPort);
        Assert.Null(settings.Tracker);
        Assert.False(settings.Json || settings.ExitOnEof || settings.ExitWhenComplete || settings.NoTracker);
    }

    [Fact]
    public void The_shipped_config_file_matches_the_defaults()
    {
        var shipped = Path.Combine(FindRepositoryRoot(), "config", "torrentactors.json");
        var settings = NodeSettings.From(new ConfigurationBuilder().AddJsonFile(shipped).Build());
        var defaults = new NodeSettings();
        Assert.Equal(defaults.TrackerPort, settings.TrackerPort);
        Assert.Equal(defaults.Host, settings.Host);
        Assert.Equal(defaults.TorrentDirectory, settings.TorrentDirectory);
        Assert.Equal(defaults.StateDirectory, settings.StateDirectory);
        Assert.Equal(defaults.MaxLineChars, settings.MaxLineChars);
        Assert.Equal(defaults.MaxTorrentFileBytes, settings.MaxTorrentFileBytes);
    }

    [Fact]
    public void A_config_file_is_overridden_by_the_environment_and_the_environment_by_flags()
    {
        var file = Path.Combine(_temp.Path, "node.json");
        File.WriteAllText(file, """{ "TrackerPort": 7001, "ListenPort": 7002, "Json": true, "TorrentDirectory": "/srv/t" }""");
        Environment.SetEnvironmentVariable(PortVariable, "7101");

        var (settings, _) = Read("--config", file, "--listen-port", "7202");
        Assert.Equal(7101, settings.TrackerPort);
        Assert.Equal(7202, settings.ListenPort);
        Assert.True(settings.Json);
        Assert.Equal("/srv/t", settings.TorrentDirectory);

        (settings, _) = Read("--config", file, "--tracker-port", "0", "--torrent-dir", "here");
        Assert.Equal(0, settings.TrackerPort);
        Assert.Equal("here", settings.TorrentDirectory);
    }

    [Fact]
    public void The_state_folder_defaults_to_state_and_comes_from_config_then_TORRENTACTORS_STATEDIR_then_the_flag()
    {
        Assert.Equal("./state", Read().Settings.StateDirectory);

        var file = Path.Combine(_temp.Path, "node.json");
        File.WriteAllText(file, """{ "StateDirectory": "/srv/state" }""");
        Assert.Equal("/srv/state", Read("--config", file).Settings.StateDirectory);

        Environment.SetEnvironmentVariable(StateVariable, "/var/lib/ta");
        Assert.Equal("/var/lib/ta", Read("--config", file).Settings.StateDirectory);
        Assert.Equal("mine", Read("--config", file, "--state-dir", "mine").Settings.StateDirectory);
        Assert.EndsWith(Path.Combine("mine", "torrentactors.db"), Read("--state-dir", "mine").Settings.ToActorSettings(null).StateDatabasePath);
    }

    [Fact]
    public void Flags_not_given_leave_the_config_alone()
    {
        var (settings, _) = Read("--json", "--exit-on-eof", "--no-tracker");
        Assert.True(settings.Json);
        Assert.True(settings.ExitOnEof);
        Assert.True(settings.NoTracker);
        Assert.False(settings.ExitWhenComplete);
        Assert.Equal(6969, settings.TrackerPort);
    }

    [Theory]
    [InlineData("--listen-port", "70000", "ListenPort")]
    [InlineData("--tracker-port", "-1", "TrackerPort")]
    [InlineData("--host", "localhost:5", "Host")]
    [InlineData("--tracker", "ftp://x/announce", "Tracker")]
    public void Bad_settings_are_refused_with_their_name(string flag, string value, string name)
    {
        var (settings, _) = Read(flag, value);
        var error = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains(name, error.Message);
    }

    [Fact]
    public void Run_is_both_a_command_and_the_default_with_the_same_options()
    {
        var root = new RootCommand();
        RunCommand.Register(root);
        Assert.Empty(root.Parse(["run", "--json", "--tracker-port", "0"]).Errors);
        Assert.Empty(root.Parse(["--json", "--tracker-port", "0", "--exit-when-complete"]).Errors);
        Assert.NotEmpty(root.Parse(["--no-such-flag"]).Errors);
    }

    [Fact]
    public void The_tracker_port_flag_says_it_sets_the_http_and_the_udp_port()
    {
        Assert.Contains("HTTP and UDP", new RunOptions().TrackerPort.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Actor_settings_get_full_paths_and_the_announce_url()
    {
        var settings = new NodeSettings { TorrentDirectory = "t", DownloadDirectory = "d", ExitOnEof = true, HttpTimeoutSeconds = 5 };
        var actors = settings.ToActorSettings("http://127.0.0.1:1/announce");
        Assert.Equal(Path.GetFullPath("t"), actors.TorrentDirectory);
        Assert.Equal(Path.GetFullPath("d"), actors.DownloadDirectory);
        Assert.True(actors.ExitOnEndOfInput);
        Assert.Equal(TimeSpan.FromSeconds(5), actors.HttpTimeout);
        Assert.Equal("http://127.0.0.1:1/announce", actors.AnnounceUrl);
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TorrentActors.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("no TorrentActors.sln above the test folder");
    }
}
