using System.CommandLine;
using System.Globalization;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Node.Commands;

/// <summary><c>torrentactors info FILE</c>: prints what a .torrent describes, one "key: value" per line, on stdout.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The .torrent file to describe." };
        var command = new Command("info", "Show a .torrent's name, infohash, size, pieces, files, trackers and magnet link.") { file };
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(parseResult.GetRequiredValue(file), parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error));
        return command;
    }

    private static async Task<int> RunAsync(string path, TextWriter stdout, TextWriter stderr)
    {
        Torrent torrent;
        try
        {
            torrent = Torrent.Load(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot read '{path}': {ex.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is BencodeException or MetainfoException)
        {
            await stderr.WriteLineAsync($"error: '{path}' is not a valid torrent: {ex.Message}");
            return 1;
        }

        await stdout.WriteAsync(Describe(torrent));
        return 0;
    }

    internal static string Describe(Torrent torrent)
    {
        var text = new System.Text.StringBuilder();
        void Line(string key, string value) => text.Append(key).Append(": ").Append(Printable(value)).Append('\n');

        Line("name", torrent.Name);
        Line("infohash", torrent.InfoHash.ToHex());
        Line("size", $"{torrent.TotalLength} bytes ({Human(torrent.TotalLength)})");
        Line("piece length", $"{torrent.PieceLength} bytes ({Human(torrent.PieceLength)})");
        Line("pieces", torrent.PieceCount.ToString(CultureInfo.InvariantCulture));
        Line("private", torrent.IsPrivate ? "yes" : "no");
        if (torrent.Comment is { } comment)
        {
            Line("comment", comment);
        }

        if (torrent.CreatedBy is { } createdBy)
        {
            Line("created by", createdBy);
        }

        if (torrent.CreationDate is { } date)
        {
            Line("creation date", date.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        }

        Line("files", torrent.Files.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var file in torrent.Files)
        {
            text.Append("  ").Append(Printable(file.RelativePath)).Append(" (").Append(file.Length.ToString(CultureInfo.InvariantCulture)).Append(" bytes)\n");
        }

        Line("trackers", torrent.AnnounceTiers.Count == 0 ? "none" : torrent.AnnounceTiers.Sum(t => t.Count).ToString(CultureInfo.InvariantCulture));
        for (var tier = 0; tier < torrent.AnnounceTiers.Count; tier++)
        {
            foreach (var url in torrent.AnnounceTiers[tier])
            {
                text.Append("  tier ").Append(tier + 1).Append(": ").Append(Printable(url)).Append('\n');
            }
        }

        if (torrent.UrlList.Count > 0)
        {
            Line("web seeds", torrent.UrlList.Count.ToString(CultureInfo.InvariantCulture));
            foreach (var url in torrent.UrlList)
            {
                text.Append("  ").Append(Printable(url)).Append('\n');
            }
        }

        Line("magnet", MagnetLink.FromTorrent(torrent).ToString());
        return text.ToString();
    }

    /// <summary>Text from a torrent is untrusted: control characters (terminal escapes, newlines) become '?'.</summary>
    private static string Printable(string text) =>
        text.Any(char.IsControl) ? new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : text;

    private static string Human(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }
}
