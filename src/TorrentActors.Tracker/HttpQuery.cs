using System.Globalization;
using System.Net;

namespace TorrentActors.Tracker;

/// <summary>
/// Reads announce and scrape parameters from the raw (still percent-encoded) query string: ASP.NET's own decoding
/// turns binary <c>info_hash</c>/<c>peer_id</c> bytes into UTF-16 text and loses them, so we decode byte by byte.
/// </summary>
internal static class HttpQuery
{
    /// <summary>The parsed announce, or the failure reason to send.</summary>
    public readonly record struct AnnounceQuery(Id20 InfoHash, Id20 PeerId, ushort Port, long Left, AnnounceEvent Event,
        int? NumWant, bool Compact, bool NoPeerId, IPAddress? Ip);

    public static bool TryParseAnnounce(ReadOnlySpan<char> query, out AnnounceQuery result, out string failure)
    {
        result = default;
        Id20? infoHash = null;
        Id20? peerId = null;
        int? port = null;
        long left = -1;
        var trackerEvent = AnnounceEvent.None;
        int? numWant = null;
        var compact = true;
        var noPeerId = false;
        IPAddress? ip = null;
        Span<byte> buffer = stackalloc byte[64];
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            var raw = eq < 0 ? [] : pair[(eq + 1)..];
            switch (key)
            {
                case "info_hash":
                    if (!TryDecodeId(raw, buffer, out var hash))
                    {
                        failure = "invalid info_hash: expected 20 percent-encoded bytes";
                        return false;
                    }

                    infoHash = hash;
                    break;
                case "peer_id":
                    if (!TryDecodeId(raw, buffer, out var peer))
                    {
                        failure = "invalid peer_id: expected 20 percent-encoded bytes";
                        return false;
                    }

                    peerId = peer;
                    break;
                case "port":
                    if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
                    {
                        failure = "invalid port";
                        return false;
                    }

                    port = p;
                    break;
                case "left":
                    if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out left))
                    {
                        failure = "invalid left";
                        return false;
                    }

                    break;
                case "uploaded" or "downloaded" or "corrupt":
                    if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        failure = $"invalid {key}";
                        return false;
                    }

                    break;
                case "event":
                    switch (raw)
                    {
                        case "started": trackerEvent = AnnounceEvent.Started; break;
                        case "completed": trackerEvent = AnnounceEvent.Completed; break;
                        case "stopped": trackerEvent = AnnounceEvent.Stopped; break;
                        case "" or "empty" or "paused": trackerEvent = AnnounceEvent.None; break;
                        default:
                            failure = "invalid event";
                            return false;
                    }

                    break;
                case "numwant":
                    if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                    {
                        failure = "invalid numwant";
                        return false;
                    }

                    numWant = n;
                    break;
                case "compact":
                    compact = raw is not "0";
                    break;
                case "no_peer_id":
                    noPeerId = raw is "1";
                    break;
                case "ip":
                    if (!TryDecode(raw, buffer, out var length) || !IPAddress.TryParse(System.Text.Encoding.ASCII.GetString(buffer[..length]), out ip))
                    {
                        ip = null; // A host name or garbage: ignored, the connection's address is used.
                    }

                    break;
            }
        }

        if (infoHash is null)
        {
            failure = "missing info_hash";
            return false;
        }

        if (peerId is null)
        {
            failure = "missing peer_id";
            return false;
        }

        if (port is null)
        {
            failure = "missing port";
            return false;
        }

        result = new AnnounceQuery(infoHash.Value, peerId.Value, (ushort)port.Value, left < 0 ? 1 : left, trackerEvent, numWant, compact, noPeerId, ip);
        failure = "";
        return true;
    }

    /// <summary>Every <c>info_hash</c> of a scrape query, in order, duplicates removed.</summary>
    public static bool TryParseScrape(ReadOnlySpan<char> query, int max, List<Id20> hashes, out string failure)
    {
        Span<byte> buffer = stackalloc byte[64];
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (!pair.StartsWith("info_hash="))
            {
                continue;
            }

            if (!TryDecodeId(pair["info_hash=".Length..], buffer, out var hash))
            {
                failure = "invalid info_hash: expected 20 percent-encoded bytes";
                return false;
            }

            if (!hashes.Contains(hash))
            {
                if (hashes.Count >= max)
                {
                    failure = $"too many info_hash values (at most {max})";
                    return false;
                }

                hashes.Add(hash);
            }
        }

        failure = "";
        return true;
    }

    private static bool TryDecodeId(ReadOnlySpan<char> raw, Span<byte> buffer, out Id20 id)
    {
        id = default;
        if (!TryDecode(raw, buffer, out var length) || length != Id20.Length)
        {
            return false;
        }

        id = new Id20(buffer[..Id20.Length]);
        return true;
    }

    /// <summary>Percent-decodes <paramref name="raw"/> (RFC 3986; '+' stays '+'); false on bad escapes, non-ASCII or overflow.</summary>
    public static bool TryDecode(ReadOnlySpan<char> raw, Span<byte> destination, out int written)
    {
        written = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (written == destination.Length)
            {
                return false;
            }

            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length)
                {
                    return false;
                }

                var high = HexValue(raw[i + 1]);
                var low = HexValue(raw[i + 2]);
                if (high < 0 || low < 0)
                {
                    return false;
                }

                destination[written++] = (byte)(high << 4 | low);
                i += 2;
            }
            else if (c is > ' ' and < (char)0x7F)
            {
                destination[written++] = (byte)c;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
