using System.Net;

namespace TorrentActors.Engine.Client;

/// <summary>
/// The peers a session knows of beyond its connections: addresses to dial (each with the earliest time it may be
/// dialled again), the dials in progress, and the peers banned for bad data with the strikes that led there. A ban
/// holds for the peer id and for where the peer comes from (<see cref="BanKey"/>), so a fresh peer id does not get
/// a banned peer back in. It outlives a session's runs, so a resumed session dials the same peers and a banned peer
/// stays banned. Not thread safe: the session calls it under its lock.
/// </summary>
internal sealed class PeerSet
{
    private readonly Dictionary<IPEndPoint, long> _known = new();
    private readonly HashSet<IPEndPoint> _connecting = new();
    private readonly HashSet<string> _bannedPeerIds = new();
    private readonly HashSet<string> _bannedAddresses = new();
    private readonly Dictionary<string, int> _strikes = new();

    public int KnownCount => _known.Count;

    public int ConnectingCount => _connecting.Count;

    public int BannedCount => _bannedPeerIds.Count;

    /// <summary>Remembers <paramref name="endPoint"/>; <paramref name="dialNow"/> also clears its redial wait.</summary>
    public void Remember(IPEndPoint endPoint, bool dialNow)
    {
        if (dialNow)
        {
            _known[endPoint] = 0;
        }
        else
        {
            _known.TryAdd(endPoint, 0);
        }
    }

    /// <summary>Every known peer may be dialled at once (a session that resumes).</summary>
    public void ClearRedialWaits()
    {
        foreach (var endPoint in _known.Keys.ToList())
        {
            _known[endPoint] = 0;
        }
    }

    /// <summary>
    /// Chooses up to <paramref name="room"/> known peers to dial now: not waiting to be redialled, not being dialled,
    /// not banned and not refused by <paramref name="skip"/> (ourselves, or already connected). Each chosen peer is
    /// marked as being dialled and may be chosen again only after <paramref name="redial"/>.
    /// </summary>
    public List<IPEndPoint> TakeToDial(long nowMs, int room, TimeSpan redial, Func<IPEndPoint, bool> skip)
    {
        var chosen = new List<IPEndPoint>();
        foreach (var (endPoint, notBefore) in _known)
        {
            if (chosen.Count >= room)
            {
                break;
            }

            if (notBefore > nowMs || _connecting.Contains(endPoint) || _bannedAddresses.Contains(BanKey(endPoint)) || skip(endPoint))
            {
                continue;
            }

            chosen.Add(endPoint);
        }

        foreach (var endPoint in chosen)
        {
            _connecting.Add(endPoint);
            _known[endPoint] = nowMs + (long)redial.TotalMilliseconds;
        }

        return chosen;
    }

    /// <summary>The dial of <paramref name="endPoint"/> ended, however it went.</summary>
    public void DialEnded(IPEndPoint endPoint) => _connecting.Remove(endPoint);

    /// <summary>Whether the peer id or where the peer comes from is banned.</summary>
    public bool IsBanned(ReadOnlySpan<byte> peerId, IPEndPoint remote) => IsBanned(peerId) || _bannedAddresses.Contains(BanKey(remote));

    public bool IsBanned(ReadOnlySpan<byte> peerId) => _bannedPeerIds.Contains(Convert.ToHexString(peerId));

    /// <summary>
    /// Counts a piece that failed its hash against a peer that was its only source; at <paramref name="banAfter"/>
    /// strikes the peer id is banned, and so is where it comes from (<see cref="BanKey"/> of <paramref name="remote"/>,
    /// the address it connected from or the one we dialled). Returns the strikes so far.
    /// </summary>
    public int Strike(ReadOnlySpan<byte> peerId, IPEndPoint remote, int banAfter)
    {
        var key = Convert.ToHexString(peerId);
        var strikes = _strikes[key] = _strikes.GetValueOrDefault(key) + 1;
        if (strikes >= banAfter)
        {
            _bannedPeerIds.Add(key);
            _bannedAddresses.Add(BanKey(remote));
        }

        return strikes;
    }

    /// <summary>
    /// What a ban holds for: the address of a peer, or its address and port when the address is a loopback one (every
    /// peer on one machine, and every test peer, shares 127.0.0.1; a ban of the whole address would ban them all).
    /// An IPv4 address mapped into IPv6 counts as the IPv4 one.
    /// </summary>
    public static string BanKey(IPEndPoint remote)
    {
        var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
        return IPAddress.IsLoopback(address) ? new IPEndPoint(address, remote.Port).ToString() : address.ToString();
    }
}
