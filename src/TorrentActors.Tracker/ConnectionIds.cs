using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TorrentActors.Tracker;

/// <summary>
/// BEP 15 connection ids without server state: HMAC-SHA256(per-process random key, client address, port, minute)
/// truncated to 64 bits. An id is accepted during the minute it was issued and the next two (so for at least two
/// minutes, as BEP 15 asks, and at most three); it cannot be forged without the key, nor replayed from another address.
/// </summary>
internal sealed class ConnectionIds(TimeProvider clock)
{
    private const int WindowSeconds = 60;
    private const int AcceptedWindows = 3;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public long Issue(PeerEndpoint client) => Compute(client, CurrentWindow());

    public bool IsValid(long connectionId, PeerEndpoint client)
    {
        var window = CurrentWindow();
        for (var age = 0; age < AcceptedWindows; age++)
        {
            if (Compute(client, window - age) == connectionId)
            {
                return true;
            }
        }

        return false;
    }

    private long CurrentWindow() => clock.GetUtcNow().ToUnixTimeSeconds() / WindowSeconds;

    private long Compute(PeerEndpoint client, long window)
    {
        Span<byte> input = stackalloc byte[18 + 8];
        var length = client.WriteCompact(input);
        BinaryPrimitives.WriteInt64BigEndian(input[length..], window);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, input[..(length + 8)], mac);
        return BinaryPrimitives.ReadInt64BigEndian(mac);
    }
}
