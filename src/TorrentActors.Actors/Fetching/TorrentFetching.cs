using System.Buffers;
using System.Net.Http;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Fetching;

/// <summary>Reads a .torrent from a file or over HTTP with a size limit enforced while reading, then parses it.</summary>
public static class TorrentFetching
{
    /// <summary>The named <see cref="HttpClient"/> the HTTP fetcher uses (redirect limit, no proxy).</summary>
    public const string HttpClientName = "torrent-fetch";

    public static async Task<Torrent> FetchHttpAsync(HttpClient client, Uri url, long maxBytes, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
            }

            if (response.Content.Headers.ContentLength is { } length && length > maxBytes)
            {
                throw new InvalidDataException($"the body is {length} bytes; the limit is {maxBytes}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            var bytes = await ReadBoundedAsync(body, maxBytes, deadline.Token).ConfigureAwait(false);
            return Torrent.Parse(bytes);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no complete answer within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Reads a .torrent file. Only a regular file (or a link to one) is opened: a folder, FIFO, socket or device is
    /// refused at once, as the maker skips them, since opening a FIFO without a writer would block this read forever.
    /// </summary>
    public static async Task<Torrent> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken = default)
    {
        var refused = FileKind.TypeOf(path, followLinks: true) switch
        {
            FileType.Directory => "a folder",
            FileType.Fifo => "a FIFO",
            FileType.Socket => "a socket",
            FileType.Device => "a device",
            _ => null, // a regular file, or one whose type is unknown or missing: opening it tells
        };
        if (refused is not null)
        {
            throw new InvalidDataException($"{refused}, not a .torrent file");
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
        if (stream.CanSeek && stream.Length > maxBytes)
        {
            throw new InvalidDataException($"the file is {stream.Length} bytes; the limit is {maxBytes}");
        }

        var bytes = await ReadBoundedAsync(stream, maxBytes, cancellationToken).ConfigureAwait(false);
        return Torrent.Parse(bytes);
    }

    /// <summary>Reads to the end, failing as soon as more than <paramref name="maxBytes"/> arrive.</summary>
    public static async Task<byte[]> ReadBoundedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            var read = await stream.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw new InvalidDataException($"more than the limit of {maxBytes} bytes");
            }
        }
    }
}
