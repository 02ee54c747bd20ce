using System.Net;
using TorrentActors.Engine.Client;

namespace TorrentActors.Node.Hosting;

/// <summary>The one place the node builds its BitTorrent engine.</summary>
internal static class EngineFactory
{
    public static ITorrentEngine Create(NodeSettings settings, IServiceProvider services)
    {
        _ = IPAddress.Parse(settings.Host);
        _ = services;
        throw new NotSupportedException("the BitTorrent engine (ClientEngine) is not in this build yet");
    }
}
