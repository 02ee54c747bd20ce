using System.Globalization;
using System.Text;

namespace TorrentActors.Engine.Metainfo;

/// <summary>
/// A magnet URI for a v1 torrent (BEP 9): <c>magnet:?xt=urn:btih:HASH&amp;dn=NAME&amp;xl=LENGTH&amp;tr=URL...</c>.
/// The hash is read as 40 hex digits or 32 base32 characters and always written as lowercase hex.
/// Parameters this class does not use (ws, x.pe, xt=urn:btmh, ...) are ignored when parsing.
/// </summary>
public sealed class MagnetLink
{
    private const string Scheme = "magnet:";
    private const string BtihPrefix = "urn:btih:";

    public MagnetLink(InfoHash infoHash, string? displayName = null, IReadOnlyList<string>? trackers = null, long? exactLength = null)
    {
        if (exactLength is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(exactLength), exactLength, "A length cannot be negative.");
        }

        InfoHash = infoHash;
        DisplayName = displayName;
        Trackers = trackers ?? [];
        ExactLength = exactLength;
    }

    public InfoHash InfoHash { get; }

    /// <summary><c>dn</c>: a name to show until the metadata arrives.</summary>
    public string? DisplayName { get; }

    /// <summary><c>tr</c>: tracker URLs, in the order given.</summary>
    public IReadOnlyList<string> Trackers { get; }

    /// <summary><c>xl</c>: the total size in bytes, when known.</summary>
    public long? ExactLength { get; }

    /// <summary>The magnet for <paramref name="torrent"/>: its infohash, name, total length and every tracker of every tier.</summary>
    public static MagnetLink FromTorrent(Torrent torrent) =>
        new(torrent.InfoHash, torrent.Name, torrent.AnnounceTiers.SelectMany(t => t).Distinct(StringComparer.Ordinal).ToArray(), torrent.TotalLength);

    /// <exception cref="FormatException">The text is not a magnet URI with a v1 (btih) exact topic.</exception>
    public static MagnetLink Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var link, out var error) ? link! : throw new FormatException($"Invalid magnet link: {error}.");
    }

    public static bool TryParse(string? text, out MagnetLink? link) => TryParse(text, out link, out _);

    public static bool TryParse(string? text, out MagnetLink? link, out string? error)
    {
        link = null;
        if (text is null || !text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = "it does not start with 'magnet:'";
            return false;
        }

        var query = text.AsSpan(Scheme.Length);
        if (!query.StartsWith("?"))
        {
            error = "'magnet:' is not followed by '?'";
            return false;
        }

        InfoHash? hash = null;
        string? name = null;
        long? length = null;
        var trackers = new List<string>();
        foreach (var part in query[1..].ToString().Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            // Keys may carry an index suffix ("tr.1", "xt.2"), which BEP 9 clients accept.
            var key = part[..equals];
            var dot = key.IndexOf('.');
            if (dot > 0 && key[(dot + 1)..].All(char.IsAsciiDigit))
            {
                key = key[..dot];
            }

            string value;
            try
            {
                value = Uri.UnescapeDataString(key == "dn" ? part[(equals + 1)..].Replace('+', ' ') : part[(equals + 1)..]);
            }
            catch (UriFormatException)
            {
                error = $"'{part}' is not correctly percent-encoded";
                return false;
            }

            switch (key)
            {
                case "xt" when value.StartsWith(BtihPrefix, StringComparison.OrdinalIgnoreCase):
                    if (!TryDecodeBtih(value[BtihPrefix.Length..], out var parsed))
                    {
                        error = $"'{value}' is neither 40 hex digits nor 32 base32 characters";
                        return false;
                    }

                    if (hash is { } existing && existing != parsed)
                    {
                        error = "it names two different btih infohashes";
                        return false;
                    }

                    hash = parsed;
                    break;
                case "dn":
                    name ??= value;
                    break;
                case "tr" when value.Length > 0:
                    if (!trackers.Contains(value, StringComparer.Ordinal))
                    {
                        trackers.Add(value);
                    }

                    break;
                case "xl":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var xl))
                    {
                        error = $"xl '{value}' is not a length";
                        return false;
                    }

                    length = xl;
                    break;
            }
        }

        if (hash is null)
        {
            error = "no 'xt=urn:btih:' exact topic";
            return false;
        }

        link = new MagnetLink(hash.Value, name, trackers, length);
        error = null;
        return true;
    }

    public override string ToString()
    {
        var text = new StringBuilder(Scheme).Append("?xt=").Append(BtihPrefix).Append(InfoHash.ToHex());
        if (DisplayName is not null)
        {
            text.Append("&dn=").Append(Uri.EscapeDataString(DisplayName));
        }

        if (ExactLength is { } length)
        {
            text.Append("&xl=").Append(length.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var tracker in Trackers)
        {
            text.Append("&tr=").Append(Uri.EscapeDataString(tracker));
        }

        return text.ToString();
    }

    private static bool TryDecodeBtih(string text, out InfoHash hash)
    {
        hash = default;
        if (text.Length == InfoHash.Length * 2)
        {
            return InfoHash.TryParseHex(text, out hash);
        }

        if (text.Length != 32)
        {
            return false;
        }

        // RFC 4648 base32: 32 characters x 5 bits = 160 bits = 20 bytes, no padding.
        Span<byte> bytes = stackalloc byte[InfoHash.Length];
        var buffer = 0UL;
        var bits = 0;
        var written = 0;
        foreach (var c in text)
        {
            int symbol = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a',
                >= '2' and <= '7' => c - '2' + 26,
                _ => -1,
            };
            if (symbol < 0)
            {
                return false;
            }

            buffer = (buffer << 5) | (uint)symbol;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes[written++] = (byte)(buffer >> bits);
            }
        }

        hash = new InfoHash(bytes);
        return true;
    }
}
