using System.Net;

namespace TorrentActors.Engine.Client;

/// <summary>
/// The engine's door for incoming connections, before any torrent sees them: at most
/// <see cref="EngineSettings.MaxConnectionsPerAddress"/> from one address for as long as they live, and at most
/// <see cref="EngineSettings.MaxHalfOpenConnections"/> that have not finished the handshake, one more closing the
/// oldest of those. Sockets an attacker holds open cost it its own slots, never the ones a new peer needs. Thread safe.
/// </summary>
internal sealed class IncomingAdmission(int maxPerAddress, int maxHalfOpen)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _byAddress = new();
    private readonly LinkedList<PeerConnection> _halfOpen = new();

    /// <summary>Incoming connections still in their handshake.</summary>
    public int HalfOpenCount
    {
        get { lock (_gate) { return _halfOpen.Count; } }
    }

    /// <summary>The address of <paramref name="remote"/> as it is counted (IPv4 mapped into IPv6 counts as IPv4).</summary>
    public static IPAddress AddressOf(IPEndPoint remote) => remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;

    /// <summary>Counts one more connection from <paramref name="address"/>, or false when that address is at its cap.</summary>
    public bool TryEnter(IPAddress address)
    {
        lock (_gate)
        {
            var count = _byAddress.GetValueOrDefault(address);
            if (count >= maxPerAddress)
            {
                return false;
            }

            _byAddress[address] = count + 1;
            return true;
        }
    }

    /// <summary>A connection counted by <see cref="TryEnter"/> has ended.</summary>
    public void Leave(IPAddress address)
    {
        lock (_gate)
        {
            if (_byAddress.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _byAddress.Remove(address);
                }
                else
                {
                    _byAddress[address] = count - 1;
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="connection"/> waits for its handshake; past the cap the oldest waiting one is closed. The
    /// returned node goes to <see cref="HandshakeEnded"/>.
    /// </summary>
    public LinkedListNode<PeerConnection> HandshakeStarted(PeerConnection connection)
    {
        LinkedListNode<PeerConnection> node;
        PeerConnection? oldest = null;
        lock (_gate)
        {
            node = _halfOpen.AddLast(connection);
            if (_halfOpen.Count > maxHalfOpen)
            {
                oldest = _halfOpen.First!.Value;
                _halfOpen.RemoveFirst();
            }
        }

        oldest?.Close("too many unfinished handshakes: the oldest is closed");
        return node;
    }

    /// <summary>The handshake of a connection passed to <see cref="HandshakeStarted"/> has ended, however it went.</summary>
    public void HandshakeEnded(LinkedListNode<PeerConnection> node)
    {
        lock (_gate)
        {
            if (node.List is not null)
            {
                _halfOpen.Remove(node);
            }
        }
    }
}
