using Akka.Hosting;
using TorrentActors.Actors.Patrons;

namespace TorrentActors.Actors;

/// <summary>
/// The key, in the actor registry, of where new torrents and stop, start and remove go: the patrons on a single node,
/// the cluster's intake (which asks the catalog's keeper first) on a cluster member. The writer, the fetchers, the
/// parser and the remote gateway send there.
/// </summary>
public sealed class TorrentIntake
{
    private TorrentIntake()
    {
    }
}

public static class TorrentIntakeHosting
{
    /// <summary>A single node's intake: the patrons themselves. Add it after the patrons.</summary>
    public static AkkaConfigurationBuilder AddLocalTorrentIntake(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((_, registry) => registry.Register<TorrentIntake>(registry.Get<PatronsActor>()));
}
