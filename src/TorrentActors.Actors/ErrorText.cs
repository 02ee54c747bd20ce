using System.Net.Http;
using System.Net.Sockets;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors;

/// <summary>Short, stable reasons for the <c>error:</c> lines; the full exception goes to the log (stderr).</summary>
public static class ErrorText
{
    public static string Describe(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        MetainfoException metainfo => $"not a valid torrent: {metainfo.Reason}",
        BencodeException bencode => $"not a torrent (bencode: {bencode.Message})",
        HttpRequestException { InnerException: SocketException socket } => $"unreachable ({socket.SocketErrorCode})",
        HttpRequestException http => $"HTTP request failed ({http.Message})",
        TimeoutException timeout => timeout.Message,
        IOException io => io.Message,
        _ => exception.Message,
    };

    /// <summary>
    /// Failures a retry cannot fix: missing or forbidden data, invalid metainfo, bad arguments.
    /// Everything else (network, transient disk trouble) is worth a restart with back-off.
    /// </summary>
    public static bool IsPermanent(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } aggregate => IsPermanent(aggregate.InnerExceptions[0]),
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => true,
        MetainfoException or BencodeException or ArgumentException or InvalidDataException => true,
        NotSupportedException or PathTooLongException => true,
        _ => false,
    };
}
