using TorrentActors.Node.Hosting;
using Xunit;

namespace TorrentActors.Node.Tests.Hosting;

/// <summary>The <c>Cluster</c> section: environment and flags, validation, and the node's kept name.</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class ClusterSettingsTests : IDisposable
{
    private const string EnabledVariable = "TORRENTACTORS_CLUSTER__ENABLED";
    private const string SeedVariable = "TORRENTACTORS_CLUSTER__SEEDNODES__0";
    private readonly TempFolder _temp = new("ta-cluster-settings-");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(EnabledVariable, null);
        Environment.SetEnvironmentVariable(SeedVariable, null);
        _temp.Dispose();
    }

    [Fact]
    public void Without_cluster_settings_a_node_is_no_member()
    {
        var (settings, _) = NodeSettingsTests.Read();

        Assert.False(settings.Cluster.Enabled);
        Assert.Empty(settings.Cluster.SeedNodes);
        Assert.Equal(2, settings.Cluster.Replicas);
        Assert.Null(settings.Cluster.NodeName);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.Cluster.DownAfter);
    }

    [Fact]
    public void The_environment_turns_the_cluster_on_and_flags_win_over_it()
    {
        Environment.SetEnvironmentVariable(EnabledVariable, "true");
        Environment.SetEnvironmentVariable(SeedVariable, "akka.tcp://torrentactors@127.0.0.1:4552");

        var (fromEnvironment, _) = NodeSettingsTests.Read();
        var (fromFlags, _) = NodeSettingsTests.Read(
            "--seed-node", "akka.tcp://torrentactors@10.0.0.1:1", "--seed-node", "akka.tcp://torrentactors@10.0.0.2:2", "--replicas", "3", "--node-name", "alpha");

        Assert.True(fromEnvironment.Cluster.Enabled);
        Assert.Equal(["akka.tcp://torrentactors@127.0.0.1:4552"], fromEnvironment.Cluster.SeedNodes);
        fromFlags.Validate();
        Assert.Equal(["akka.tcp://torrentactors@10.0.0.1:1", "akka.tcp://torrentactors@10.0.0.2:2"], fromFlags.Cluster.SeedNodes);
        Assert.Equal((3, "alpha"), (fromFlags.Cluster.Replicas, fromFlags.Cluster.NodeName));
    }

    [Theory]
    [InlineData("--seed-node", "http://127.0.0.1:4552", "Cluster:SeedNodes")]
    [InlineData("--seed-node", "akka.tcp://other@127.0.0.1:4552", "Cluster:SeedNodes")]
    [InlineData("--seed-node", "akka.tcp://torrentactors@127.0.0.1", "Cluster:SeedNodes")]
    [InlineData("--seed-node", "akka.tcp://torrentactors@127.0.0.1:4552/user/x", "Cluster:SeedNodes")]
    [InlineData("--replicas", "0", "Cluster:Replicas")]
    [InlineData("--node-name", "a b", "Cluster:NodeName")]
    [InlineData("--node-name", "node:x", "Cluster:NodeName")]
    public void A_bad_cluster_setting_is_refused_by_name(string flag, string value, string named)
    {
        var (settings, _) = NodeSettingsTests.Read("--cluster", flag, value);

        var error = Assert.Throws<ArgumentException>(settings.Validate);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_generated_node_name_is_kept_in_the_state_folder_across_restarts()
    {
        string first;
        using (var state = StateFolder.Open(_temp.Combine("a")))
        {
            first = state.NodeName();
            Assert.Equal(first, state.NodeName());
        }

        using var again = StateFolder.Open(_temp.Combine("a"));
        using var other = StateFolder.Open(_temp.Combine("b"));
        Assert.Equal(first, again.NodeName());
        Assert.Equal(first, File.ReadAllText(_temp.Combine("a", StateFolder.NodeNameFileName)).Trim());
        Assert.NotEqual(first, other.NodeName());
        Assert.Matches("^node-[0-9a-f]{8}$", first);
    }
}
