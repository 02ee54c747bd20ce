using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;

namespace TorrentActors.Engine.Client;

/// <summary>A message waiting in a connection's send queue (no per-message allocation for the common kinds).</summary>
internal readonly record struct Outgoing(PeerMessageKind Kind, int Index = 0, int Begin = 0, int Length = 0, byte[]? Payload = null, byte ExtendedId = 0);

/// <summary>
/// One peer connection: the socket with its pipes, the send queue and the per-peer protocol state.
/// The owning session's parts read and write the protocol state under the session's lock; the writer task reads
/// only what is marked as shared with it (the counters it updates with <see cref="Interlocked"/>, the cancel set
/// under its own lock, the choke flag read without a lock).
/// </summary>
internal sealed class PeerConnection : IAsyncDisposable
{
    private const int FlushThreshold = 256 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly Channel<Outgoing> _queue = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private int _closedFlag;

    public PeerConnection(Socket socket, IPEndPoint remote, bool outgoing, int socketBufferSize)
    {
        _socket = socket;
        socket.NoDelay = true;
        if (socketBufferSize > 0)
        {
            socket.ReceiveBufferSize = socketBufferSize;
            socket.SendBufferSize = socketBufferSize;
        }
        Remote = remote;
        Outgoing = outgoing;
        _stream = new NetworkStream(socket, ownsSocket: true);
        Reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true));
        Writer = PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
        LastReceived = LastSent = LastBlock = LastPayload = Admitted = Environment.TickCount64;
    }

    public IPEndPoint Remote { get; }

    public bool Outgoing { get; }

    public PipeReader Reader { get; }

    public PipeWriter Writer { get; }

    public CancellationToken Closed => _closed.Token;

    public bool IsClosed => Volatile.Read(ref _closedFlag) != 0;

    public string? CloseReason { get; private set; }

    // Protocol state, guarded by the session's lock.
    public int Id { get; set; }

    public byte[] PeerId { get; set; } = [];

    public bool SupportsFast { get; set; }

    public bool SupportsExtensions { get; set; }

    public BitField? PeerHas { get; set; }

    public bool AmChoking { get; set; } = true;

    public bool AmInterested { get; set; }

    public bool PeerChoking { get; set; } = true;

    public bool PeerInterested { get; set; }

    public int? PeerRequestQueue { get; set; }

    public string? ClientName { get; set; }

    public int? ListenPort { get; set; }

    public HashSet<int> AllowedFast { get; } = new();

    public HashSet<long> Cancelled { get; } = new();

    public int PendingUploads;

    public long LastReceived;

    public long LastSent;

    public long LastBlock;

    /// <summary>When a block last went either way (the writer sets it too: read and write with <see cref="Volatile"/>).</summary>
    public long LastPayload;

    /// <summary>When the peer joined the swarm.</summary>
    public long Admitted;

    /// <summary>The peer has sent a useful message (anything but keep-alives, port and extension messages).</summary>
    public bool SentUseful { get; set; }

    // Byte counters (payload only): Downloaded under the session's lock, Uploaded by the writer (Interlocked).
    public long Downloaded;

    public long Uploaded;

    // Smoothed rates, sampled by the session's tick.
    public RateMeter DownloadMeter;

    public RateMeter UploadMeter;

    public long DownloadRate => DownloadMeter.Rate;

    public long UploadRate => UploadMeter.Rate;

    /// <summary>Most messages that may wait in the send queue; a peer that stops reading is dropped past this.</summary>
    public int MaxQueued { get; set; } = 8192;

    private int _queued;

    public void Send(Outgoing message)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Close("send queue overflow: the peer does not read");
            return;
        }

        _queue.Writer.TryWrite(message);
    }

    public async Task SendHandshakeAsync(Handshake handshake)
    {
        var span = Writer.GetSpan(Handshake.Length);
        Writer.Advance(handshake.Encode(span));
        await Writer.FlushAsync(Closed).ConfigureAwait(false);
    }

    /// <summary>Reads the 68-byte handshake, bounded by <paramref name="timeout"/> (and <paramref name="cancellationToken"/>).</summary>
    public async Task<Handshake> ReadHandshakeAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Closed, cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            var result = await Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (Handshake.TryRead(ref buffer, out var handshake))
            {
                Reader.AdvanceTo(buffer.Start);
                return handshake!;
            }

            if (result.IsCompleted)
            {
                throw new PeerProtocolException("connection closed during the handshake");
            }

            Reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Drains the send queue into the pipe; piece data is read from disk straight into the pipe's memory.</summary>
    public async Task RunWriterAsync(Func<int, int, Span<byte>, bool> readBlock, Func<PeerConnection, bool> mayUpload)
    {
        var reader = _queue.Reader;
        var unflushed = 0;
        while (await reader.WaitToReadAsync(Closed).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                Interlocked.Decrement(ref _queued);
                unflushed += Encode(item, readBlock, mayUpload);
                if (unflushed >= FlushThreshold)
                {
                    await FlushAsync().ConfigureAwait(false);
                    unflushed = 0;
                }
            }

            if (unflushed > 0)
            {
                await FlushAsync().ConfigureAwait(false);
                unflushed = 0;
            }
        }
    }

    private async Task FlushAsync()
    {
        var result = await Writer.FlushAsync(Closed).ConfigureAwait(false);
        LastSent = Environment.TickCount64;
        if (result.IsCompleted || result.IsCanceled)
        {
            throw new OperationCanceledException("the peer's pipe closed");
        }
    }

    private int Encode(Outgoing item, Func<int, int, Span<byte>, bool> readBlock, Func<PeerConnection, bool> mayUpload)
    {
        switch (item.Kind)
        {
            case PeerMessageKind.KeepAlive:
                Writer.Advance(PeerMessageWriter.WriteKeepAlive(Writer.GetSpan(4)));
                return 4;
            case PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested
                or PeerMessageKind.HaveAll or PeerMessageKind.HaveNone:
                Writer.Advance(PeerMessageWriter.WriteSimple(Writer.GetSpan(5), item.Kind));
                return 5;
            case PeerMessageKind.Have or PeerMessageKind.AllowedFast or PeerMessageKind.Suggest:
                Writer.Advance(PeerMessageWriter.WriteHave(Writer.GetSpan(9), item.Index, item.Kind));
                return 9;
            case PeerMessageKind.Request or PeerMessageKind.Cancel or PeerMessageKind.Reject:
                Writer.Advance(PeerMessageWriter.WriteRequest(Writer.GetSpan(17), item.Index, item.Begin, item.Length, item.Kind));
                return 17;
            case PeerMessageKind.Bitfield:
            {
                var length = PeerMessageWriter.WriteBitfield(Writer.GetSpan(5 + item.Payload!.Length), item.Payload);
                Writer.Advance(length);
                return length;
            }

            case PeerMessageKind.Extended:
            {
                var length = PeerMessageWriter.WriteExtended(Writer.GetSpan(6 + item.Payload!.Length), item.ExtendedId, item.Payload);
                Writer.Advance(length);
                return length;
            }

            case PeerMessageKind.Piece:
                return EncodePiece(item, readBlock, mayUpload);
            default:
                return 0;
        }
    }

    private int EncodePiece(Outgoing item, Func<int, int, Span<byte>, bool> readBlock, Func<PeerConnection, bool> mayUpload)
    {
        Interlocked.Decrement(ref PendingUploads);
        if (!mayUpload(this))
        {
            return 0;
        }

        lock (Cancelled)
        {
            if (Cancelled.Count > 0 && Cancelled.Remove(((long)item.Index << 32) | (uint)item.Begin))
            {
                return 0;
            }
        }

        var total = PeerMessageWriter.PieceHeaderLength + item.Length;
        var span = Writer.GetSpan(total);
        PeerMessageWriter.WritePieceHeader(span, item.Index, item.Begin, item.Length);
        if (!readBlock(item.Index, item.Begin, span.Slice(PeerMessageWriter.PieceHeaderLength, item.Length)))
        {
            return 0;
        }

        Writer.Advance(total);
        Interlocked.Add(ref Uploaded, item.Length);
        Volatile.Write(ref LastPayload, Environment.TickCount64);
        return total;
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closedFlag, 1) != 0)
        {
            return;
        }

        CloseReason = reason;
        _queue.Writer.TryComplete();
        _socket.Close(0);

        // Cancellation callbacks may run inline; callers often hold the session lock, so cancel elsewhere.
        ThreadPool.UnsafeQueueUserWorkItem(static cts => cts.Cancel(), _closed, preferLocal: false);
    }

    public async ValueTask DisposeAsync()
    {
        Close(CloseReason ?? "disposed");
        await Reader.CompleteAsync().ConfigureAwait(false);
        await Writer.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
