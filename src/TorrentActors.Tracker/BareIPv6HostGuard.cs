using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace TorrentActors.Tracker;

/// <summary>
/// A Kestrel connection middleware in front of the HTTP/1.1 parser that puts brackets around a <c>Host</c> header naming
/// an IPv6 address without them. libtorrent announcing to <c>http://[::1]:6969/announce</c> writes <c>Host: ::1:6969</c>
/// (RFC 7230 section 5.4 and RFC 3986 section 3.2.2 want <c>[::1]:6969</c>), and Kestrel answers such a request 400
/// before any handler sees it, with no option to relax that check. The guard passes the request stream through,
/// rewriting only that one header, header block by header block of each request on the connection:
/// <list type="bullet">
/// <item>A value is rewritten only when it is an IPv6 literal, optionally followed by <c>:PORT</c> (<c>::1:6969</c> becomes
/// <c>[::1]:6969</c>, <c>::1</c> becomes <c>[::1]</c>); anything else goes on unchanged, so Kestrel still refuses a
/// genuinely malformed Host.</item>
/// <item>After a request that carries a body (<c>Content-Length</c> other than 0, or <c>Transfer-Encoding</c>), an HTTP/2
/// preface, or a header block longer than <see cref="MaxHeaderBlock"/>, the rest of the connection passes through
/// untouched: the guard never has to frame bodies, and Kestrel answers those as it always has.</item>
/// </list>
/// </summary>
internal static class BareIPv6HostGuard
{
    /// <summary>Longer than any header block Kestrel accepts here (8 KiB request line + 16 KiB of headers).</summary>
    public const int MaxHeaderBlock = 32 * 1024;

    /// <summary>The longest Host value worth looking at: a full IPv6 literal with an IPv4 tail and a port is 53 characters.</summary>
    private const int MaxHostValue = 64;

    public static ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var transport = connection.Transport;
        // Inline schedulers: each side's continuation runs on the thread that woke it, no extra hop through the thread
        // pool per request (with the default ones the guard cost a fifth of the announces per second).
        var pipe = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        var pump = PumpAsync(transport.Input, pipe.Writer);
        connection.Transport = new DuplexPipe(pipe.Reader, transport.Output);
        try
        {
            await next(connection);
        }
        finally
        {
            await pipe.Reader.CompleteAsync();
            transport.Input.CancelPendingRead();
            await pump;
            connection.Transport = transport;
        }
    };

    /// <summary>Copies the client's bytes to Kestrel's side, header blocks rewritten, until either side ends.</summary>
    private static async Task PumpAsync(PipeReader input, PipeWriter output)
    {
        Exception? failure = null;
        var passThrough = false;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                var consumed = Rewrite(buffer, output, ref passThrough);
                if (result.IsCompleted && !consumed.Equals(buffer.End))
                {
                    // The client is done: an unfinished header block goes on as it is, for Kestrel to judge.
                    Copy(buffer.Slice(consumed), output);
                    consumed = buffer.End;
                }

                input.AdvanceTo(consumed, buffer.End);
                var flushed = await output.FlushAsync();
                if (result.IsCompleted || flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ConnectionResetException or ConnectionAbortedException)
        {
            // The transport failed (a reset) or Kestrel let go of its side: hand the reason on to the reader.
            failure = e;
        }

        await output.CompleteAsync(failure);
    }

    /// <summary>
    /// Writes every complete header block in <paramref name="buffer"/> to <paramref name="output"/>, its Host fixed, and
    /// returns where the unwritten rest starts (an unfinished block waits for more bytes). In pass-through mode, or once
    /// it begins, everything is written.
    /// </summary>
    internal static SequencePosition Rewrite(ReadOnlySequence<byte> buffer, IBufferWriter<byte> output, ref bool passThrough)
    {
        var start = buffer.Start;
        while (!passThrough)
        {
            var block = buffer.Slice(start);
            if (!TryReadBlock(block, out var end, out var host, out var fixedHost, out var endsConnectionParsing))
            {
                if (block.Length <= MaxHeaderBlock)
                {
                    return start;
                }

                passThrough = true;
                break;
            }

            if (fixedHost is null)
            {
                Copy(block.Slice(0, end), output);
            }
            else
            {
                Copy(block.Slice(0, host.Start), output);
                output.Write(fixedHost);
                Copy(block.Slice(host.End, end), output);
            }

            start = end;
            passThrough = endsConnectionParsing;
        }

        Copy(buffer.Slice(start), output);
        return buffer.End;
    }

    /// <summary>
    /// Finds the end of the header block at the start of <paramref name="block"/> (the first empty line, LF or CRLF) within
    /// <see cref="MaxHeaderBlock"/>, the Host line to replace (<paramref name="fixedHost"/> is its new line, or null), and
    /// whether the connection must pass through from here on (a body, or an HTTP/2 preface).
    /// </summary>
    private static bool TryReadBlock(ReadOnlySequence<byte> block, out SequencePosition end, out ReadOnlySequence<byte> host, out byte[]? fixedHost,
        out bool endsConnectionParsing)
    {
        var reader = new SequenceReader<byte>(block.Length > MaxHeaderBlock ? block.Slice(0, MaxHeaderBlock) : block);
        host = default;
        fixedHost = null;
        endsConnectionParsing = false;
        var first = true;
        Span<byte> head = stackalloc byte[MaxHostValue + 32];
        while (true)
        {
            var lineStart = reader.Position;
            if (!reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                end = default;
                return false;
            }

            var length = (int)Math.Min(line.Length, head.Length);
            line.Slice(0, length).CopyTo(head);
            var text = head[..length];
            if (text.Length > 0 && text[^1] == '\r' && length == line.Length)
            {
                text = text[..^1];
            }

            if (line.Length <= 1 && text.IsEmpty)
            {
                end = reader.Position;
                return true;
            }

            if (first)
            {
                first = false;
                endsConnectionParsing |= text.StartsWith("PRI * HTTP/2.0"u8);
            }
            else if (HeaderValue(text, "host:"u8, line.Length == length) is { } value)
            {
                if (fixedHost is null && host.Length == 0 && TryBracket(value, out var bracketed))
                {
                    host = block.Slice(lineStart, reader.Position);
                    fixedHost = Encoding.ASCII.GetBytes($"Host: {bracketed}\r\n");
                }
                else if (host.Length != 0)
                {
                    // A second Host line: leave both as they were, Kestrel refuses the request.
                    fixedHost = null;
                }
            }
            else if (HeaderValue(text, "content-length:"u8, line.Length == length) is { } contentLength)
            {
                endsConnectionParsing |= !contentLength.SequenceEqual("0"u8);
            }
            else if (text.Length >= 18 && Ascii.EqualsIgnoreCase(text[..18], "transfer-encoding:"u8))
            {
                endsConnectionParsing = true;
            }
        }
    }

    /// <summary>The value of the header line <paramref name="text"/> when it is named <paramref name="name"/>, trimmed of spaces and tabs.</summary>
    private static byte[]? HeaderValue(ReadOnlySpan<byte> text, ReadOnlySpan<byte> name, bool whole)
    {
        if (text.Length < name.Length || !Ascii.EqualsIgnoreCase(text[..name.Length], name))
        {
            return null;
        }

        // A line longer than the copy is a long value: it is not one to rewrite, and not a short Content-Length either.
        return whole ? text[name.Length..].Trim(" \t"u8).ToArray() : [(byte)'x'];
    }

    /// <summary>
    /// <c>ADDR</c> or <c>ADDR:PORT</c> with ADDR an IPv6 literal (hex digits, colons, an IPv4 tail) in brackets; false for
    /// anything else, bracketed hosts, names and IPv4 addresses included (Kestrel judges those itself).
    /// </summary>
    internal static bool TryBracket(ReadOnlySpan<byte> value, out string bracketed)
    {
        bracketed = "";
        if (value.Length is 0 or > MaxHostValue || value.IndexOfAnyExcept("0123456789abcdefABCDEF:."u8) >= 0 || value.Count((byte)':') < 2)
        {
            return false;
        }

        var text = Encoding.ASCII.GetString(value);
        var colon = text.LastIndexOf(':');
        var port = text[(colon + 1)..];
        if (port.Length is > 0 and <= 5 && port.All(char.IsAsciiDigit) && IsIPv6(text[..colon]))
        {
            bracketed = $"[{text[..colon]}]:{port}";
            return true;
        }

        if (IsIPv6(text))
        {
            bracketed = $"[{text}]";
            return true;
        }

        return false;
    }

    private static bool IsIPv6(string text) => IPAddress.TryParse(text, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    private static void Copy(ReadOnlySequence<byte> bytes, IBufferWriter<byte> output)
    {
        foreach (var segment in bytes)
        {
            output.Write(segment.Span);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
