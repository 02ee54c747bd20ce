using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// A peer played by the test over a real socket: it sends what the test tells it to and records what the engine
/// sends back (choke state, keep-alives, message count) until the engine closes the connection.
/// </summary>
internal sealed class ScriptedPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<(int Piece, int Begin, int Length)> _requested = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<PeerMessageKind?> _kinds = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(PeerMessageKind Kind, int Piece, int Begin, int Length)> _answers = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(int Piece, int Begin, byte[] Data)> _blocks = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<int> _haves = new();
    private int _unchoked;
    private int _messages;
    private int _keepAlives;
    private int _requests;
    private long _bytesReceived;

    private ScriptedPeer(Socket socket)
    {
        _socket = socket;
    }

    public bool Unchoked => Volatile.Read(ref _unchoked) == 1;

    public int Messages => Volatile.Read(ref _messages);

    public int KeepAlives => Volatile.Read(ref _keepAlives);

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Every request the engine sent, in order.</summary>
    public IReadOnlyList<(int Piece, int Begin, int Length)> Requested => [.. _requested];

    /// <summary>The kind of every message the engine sent, in order (null: keep-alive).</summary>
    public IReadOnlyList<PeerMessageKind?> Kinds => [.. _kinds];

    /// <summary>Every reject the engine sent, in order.</summary>
    public IReadOnlyList<(PeerMessageKind Kind, int Piece, int Begin, int Length)> Rejected => [.. _answers];

    /// <summary>Every block the engine sent, with its data.</summary>
    public IReadOnlyList<(int Piece, int Begin, byte[] Data)> Blocks => [.. _blocks];

    /// <summary>Every piece the engine said it has (have messages).</summary>
    public IReadOnlyList<int> Haves => [.. _haves];

    /// <summary>Sends a request for a block.</summary>
    public async Task SendRequestAsync(int piece, int begin, int length)
    {
        var message = new byte[17];
        PeerMessageWriter.WriteRequest(message, piece, begin, length, PeerMessageKind.Request);
        await SendRawAsync(message);
    }

    /// <summary>Bytes the engine sent, its handshake included.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Completes when the engine closes the connection (or the test disposes the peer).</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Connects (from <paramref name="from"/> when given, such as 127.0.0.2, else 127.0.0.1) and, unless
    /// <paramref name="handshake"/> is false, sends the handshake for <paramref name="infoHash"/>.
    /// </summary>
    public static async Task<ScriptedPeer> ConnectAsync(IPEndPoint engine, InfoHash infoHash, int number, bool handshake = true, bool fast = false, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        var peer = new ScriptedPeer(socket);
        try
        {
            await socket.ConnectAsync(engine);
            if (handshake)
            {
                var hello = new byte[Handshake.Length];
                new Handshake(infoHash, System.Text.Encoding.ASCII.GetBytes($"-XX0000-scripted{number:D4}"), false, fast).Encode(hello);
                await socket.SendAsync(hello);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.NotConnected)
        {
            // Refused (reset) as soon as the engine accepted it: the reader sees the closed connection.
        }

        _ = peer.ReadAsync(handshake);
        return peer;
    }

    /// <summary>Sends a message without payload (interested, unchoke, ...).</summary>
    public async Task SendAsync(PeerMessageKind kind) => await SendRawAsync([0, 0, 0, 1, (byte)kind]);

    /// <summary>Sends a bitfield with every one of <paramref name="pieces"/> set.</summary>
    public async Task SendFullBitfieldAsync(int pieces)
    {
        var bits = new byte[(pieces + 7) / 8];
        for (var i = 0; i < pieces; i++)
        {
            bits[i / 8] |= (byte)(0x80 >> (i % 8));
        }

        var message = new byte[5 + bits.Length];
        PeerMessageWriter.WriteBitfield(message, bits);
        await SendRawAsync(message);
    }

    public async Task SendRawAsync(byte[] bytes) => await _socket.SendAsync(bytes);

    /// <summary>Sends a message whose payload is one piece index (have, allowed fast, suggest).</summary>
    public async Task SendIndexAsync(PeerMessageKind kind, int piece)
    {
        var message = new byte[9];
        PeerMessageWriter.WriteHave(message, piece, kind);
        await SendRawAsync(message);
    }

    /// <summary>Sends one block of piece data.</summary>
    public async Task SendBlockAsync(int piece, int begin, ReadOnlyMemory<byte> data)
    {
        var message = new byte[13 + data.Length];
        PeerMessageWriter.WritePieceHeader(message, piece, begin, data.Length);
        data.Span.CopyTo(message.AsSpan(13));
        await SendRawAsync(message);
    }

    /// <summary>Skips the engine's handshake, then reads length-prefixed messages and keeps what the tests ask about.</summary>
    private async Task ReadAsync(bool expectHandshake)
    {
        var buffer = new byte[256 * 1024];
        var filled = 0;
        var handshakeSeen = !expectHandshake;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                Interlocked.Add(ref _bytesReceived, read);
                var offset = 0;
                if (!handshakeSeen)
                {
                    if (filled < Handshake.Length)
                    {
                        continue;
                    }

                    handshakeSeen = true;
                    offset = Handshake.Length;
                }

                while (filled - offset >= 4)
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(offset));
                    if (length < 0 || length > buffer.Length - 4 || filled - offset - 4 < length)
                    {
                        break;
                    }

                    Record(length == 0 ? null : (PeerMessageKind)buffer[offset + 4], buffer.AsSpan(offset + 4, length));
                    offset += 4 + length;
                }

                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The engine closed the connection, or the test disposed this peer.
        }
        finally
        {
            _closed.TrySetResult();
        }
    }

    private void Record(PeerMessageKind? kind, ReadOnlySpan<byte> message)
    {
        Interlocked.Increment(ref _messages);
        _kinds.Enqueue(kind);
        switch (kind)
        {
            case PeerMessageKind.Reject when message.Length == 13:
                _answers.Enqueue((PeerMessageKind.Reject, BinaryPrimitives.ReadInt32BigEndian(message[1..]), BinaryPrimitives.ReadInt32BigEndian(message[5..]),
                    BinaryPrimitives.ReadInt32BigEndian(message[9..])));
                break;
            case PeerMessageKind.Piece when message.Length >= 9:
                _blocks.Enqueue((BinaryPrimitives.ReadInt32BigEndian(message[1..]), BinaryPrimitives.ReadInt32BigEndian(message[5..]), message[9..].ToArray()));
                break;
            case PeerMessageKind.Have when message.Length == 5:
                _haves.Enqueue(BinaryPrimitives.ReadInt32BigEndian(message[1..]));
                break;
            case null:
                Interlocked.Increment(ref _keepAlives);
                break;
            case PeerMessageKind.Choke or PeerMessageKind.Unchoke:
                Volatile.Write(ref _unchoked, kind == PeerMessageKind.Unchoke ? 1 : 0);
                break;
            case PeerMessageKind.Request when message.Length == 13:
                _requested.Enqueue((BinaryPrimitives.ReadInt32BigEndian(message[1..]), BinaryPrimitives.ReadInt32BigEndian(message[5..]),
                    BinaryPrimitives.ReadInt32BigEndian(message[9..])));
                Interlocked.Increment(ref _requests);
                break;
        }
    }

    public override string ToString() =>
        $"{(Unchoked ? "unchoked" : "choked")} after {Messages} messages ({KeepAlives} keep-alives, {Requests} requests){(Closed.IsCompleted ? ", closed" : "")}";

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
    }
}
