using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Bencoding;

namespace TorrentActors.Tracker.Tests;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Raw HTTP/1.1 over a socket, so the request target goes on the wire exactly as written.</summary>
internal static class RawHttp
{
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, byte[] Body)
    {
        public BDictionary Bencoded => BencodeReader.DecodeDictionary(Body);

        public string? Failure => Bencoded.GetText("failure reason");
    }

    public static Task<Response> GetAsync(IPEndPoint server, string target) => GetAsync(server, target, server.ToString());

    /// <summary>A GET with the Host header exactly as given (a client's own rendering of the address, right or wrong).</summary>
    public static async Task<Response> GetAsync(IPEndPoint server, string target, string host)
    {
        using var client = new TcpClient(server.AddressFamily);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(server, cts.Token);
        var stream = client.GetStream();
        var request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(request, cts.Token);
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, cts.Token);
        var bytes = all.ToArray();
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.ASCII.GetString(bytes, 0, split).Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = head.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        var body = bytes[(split + 4)..];
        if (headers.TryGetValue("transfer-encoding", out var te) && te == "chunked")
        {
            throw new InvalidOperationException("the tracker should send a Content-Length, not chunks");
        }

        return new Response(status, headers, body);
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var builder = new StringBuilder();
        foreach (var b in bytes)
        {
            builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}

internal static class Ids
{
    public static byte[] Hash(int n) => Make(0xA0, n);

    public static byte[] Peer(int n) => Make(0x50, n);

    private static byte[] Make(byte prefix, int n)
    {
        var bytes = new byte[20];
        bytes[0] = prefix;
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), n);
        bytes[10] = 0x00; // A NUL and a byte above 0x7F inside: binary-safe decoding is part of the test.
        bytes[11] = 0xFF;
        return bytes;
    }

    public static string AnnounceQuery(byte[] hash, byte[] peer, int port, string extra = "") =>
        $"/announce?info_hash={RawHttp.Encode(hash)}&peer_id={RawHttp.Encode(peer)}&port={port}&uploaded=0&downloaded=0&left=100{extra}";
}
