using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;
using TorrentActors.Engine.Storage;
using TorrentActors.Engine.Trackers;

namespace TorrentActors.Engine.Client;

/// <summary>
/// One torrent in a <see cref="ClientEngine"/>: checks the data, talks to peers, picks, chokes, verifies and
/// writes pieces. Peer messages are handled under one lock per session; hashing and disk writes run on the
/// thread pool; uploads are read from disk by each connection's writer.
/// </summary>
public sealed partial class TorrentSession : ITorrentSession
{
    /// <summary>Requests kept outstanding with a peer that chokes us but allows some pieces fast (BEP 6).</summary>
    private const int AllowedFastRequests = 16;

    private readonly ClientEngine _engine;
    private readonly EngineSettings _settings;
    private readonly ILogger _logger;
    private readonly object _sync = new();
    private readonly List<PeerConnection> _peers = new();
    private readonly Dictionary<int, byte[]> _pieceBuffers = new();
    private readonly Dictionary<IPEndPoint, long> _knownPeers = new();
    private readonly HashSet<IPEndPoint> _connecting = new();
    private readonly HashSet<string> _bannedPeerIds = new();
    private readonly HashSet<IPEndPoint> _bannedEndPoints = new();
    private readonly Dictionary<string, int> _strikes = new();
    private readonly List<BlockRequest> _pickBuffer = new();
    private readonly List<int> _cancelBuffer = new();
    private readonly Choker _choker;
    private readonly long _startTicks = Environment.TickCount64;
    private PiecePicker _picker;
    private TorrentStorage _storage;
    private TorrentState _state = TorrentState.Stopped;
    private string? _error;
    private CancellationTokenSource? _running;
    private Task? _tickLoop;
    private int _nextPeerId;
    private long _downloaded;
    private long _uploadedClosed;
    private long _downloadRate;
    private long _uploadRate;
    private long _lastChoke;
    private TorrentStatus? _lastRaised;
    private TrackerAnnouncer? _announcer;

    internal TorrentSession(ClientEngine engine, Torrent torrent, TorrentSessionOptions options, ILogger? logger)
    {
        _engine = engine;
        _settings = engine.Settings;
        _logger = logger ?? NullLogger.Instance;
        Torrent = torrent;
        Options = options;
        _storage = new TorrentStorage(torrent, options.DownloadDirectory);
        _picker = new PiecePicker(torrent.PieceCount, torrent.PieceLength, torrent.TotalLength);
        _choker = new Choker(_settings.UnchokeSlots, TimeSpan.FromSeconds(30));
    }

    public Torrent Torrent { get; }

    public TorrentSessionOptions Options { get; }

    public InfoHash InfoHash => Torrent.InfoHash;

    public event EventHandler<TorrentStatus>? StatusChanged;

    /// <summary>Payload bytes received in pieces that passed their hash check or not (all accepted blocks).</summary>
    public long Downloaded => Interlocked.Read(ref _downloaded);

    /// <summary>Payload bytes sent to peers.</summary>
    public long Uploaded
    {
        get
        {
            lock (_sync)
            {
                return _uploadedClosed + _peers.Sum(p => Interlocked.Read(ref p.Uploaded));
            }
        }
    }

    /// <summary>Peers banned for sending data that failed its hash.</summary>
    public int BannedPeerCount
    {
        get
        {
            lock (_sync)
            {
                return _bannedPeerIds.Count;
            }
        }
    }

    /// <summary>Bytes still missing (for the tracker's <c>left</c>).</summary>
    public long Left => Torrent.TotalLength - Status.BytesVerified;

    public TorrentStatus Status
    {
        get
        {
            lock (_sync)
            {
                return StatusLocked();
            }
        }
    }

    internal bool IsRunning
    {
        get
        {
            lock (_sync)
            {
                return _state is TorrentState.Downloading or TorrentState.Seeding;
            }
        }
    }

    /// <summary>Why the last tracker announce failed (null after a success or without trackers).</summary>
    public string? TrackerError => _announcer?.LastError;

    private TrackerAnnouncer? CreateAnnouncer()
    {
        if (Torrent.AnnounceTiers.Count == 0 || Torrent.AnnounceTiers.All(t => t.Count == 0))
        {
            return null;
        }

        var announcer = new TrackerAnnouncer(
            Torrent.AnnounceTiers,
            e => new AnnounceRequest(InfoHash, _engine.PeerId, _engine.AnnouncedPort, Uploaded, Downloaded, Left, e));
        announcer.PeersDiscovered += AddPeers;
        return announcer;
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource running;
        lock (_sync)
        {
            if (_state is not (TorrentState.Stopped or TorrentState.Error))
            {
                return;
            }

            _error = null;
            _state = TorrentState.Checking;
            _running = running = new CancellationTokenSource();
        }

        RaiseIfChanged();
        BitField have;
        try
        {
            if (Options.DataVerified)
            {
                have = new BitField(Torrent.PieceCount);
                have.SetAll();
            }
            else
            {
                have = await Task.Run(() => _storage.Verify(_settings.HashingParallelism, cancellationToken), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"checking the data failed: {e.Message}");
            return;
        }

        lock (_sync)
        {
            _picker = new PiecePicker(Torrent.PieceCount, Torrent.PieceLength, Torrent.TotalLength);
            foreach (var stale in _pieceBuffers.Values)
            {
                ArrayPool<byte>.Shared.Return(stale);
            }

            _pieceBuffers.Clear();
            for (var i = 0; i < have.Length; i++)
            {
                if (have[i])
                {
                    _picker.SetHave(i);
                }
            }

            _state = _picker.IsComplete ? TorrentState.Seeding : TorrentState.Downloading;
        }

        if (_picker.IsComplete)
        {
            _storage.CreateEmptyFiles();
        }

        Log.Started(_logger, InfoHash.ToHex(), have.TrueCount, Torrent.PieceCount);
        RaiseIfChanged();
        _tickLoop = Task.Run(() => TickLoopAsync(running.Token), CancellationToken.None);
        _announcer = CreateAnnouncer();
        _announcer?.Start();
        DialKnownPeers();
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await HaltAsync(TorrentState.Stopped).ConfigureAwait(false);
        var announcer = Interlocked.Exchange(ref _announcer, null);
        if (announcer is not null)
        {
            announcer.PeersDiscovered -= AddPeers;
            await announcer.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task PauseAsync(CancellationToken cancellationToken = default)
    {
        lock (_sync)
        {
            if (_state is not (TorrentState.Downloading or TorrentState.Seeding))
            {
                return Task.CompletedTask;
            }
        }

        return HaltAsync(TorrentState.Paused);
    }

    public Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        CancellationTokenSource running;
        lock (_sync)
        {
            if (_state != TorrentState.Paused)
            {
                return Task.CompletedTask;
            }

            _state = _picker.IsComplete ? TorrentState.Seeding : TorrentState.Downloading;
            _running = running = new CancellationTokenSource();
            _knownPeers.Keys.ToList().ForEach(k => _knownPeers[k] = 0);
        }

        RaiseIfChanged();
        _tickLoop = Task.Run(() => TickLoopAsync(running.Token), CancellationToken.None);
        DialKnownPeers();
        return Task.CompletedTask;
    }

    /// <summary>Remembers <paramref name="endPoint"/> and dials it now if the session is running (also when seeding).</summary>
    public void AddPeer(IPEndPoint endPoint)
    {
        lock (_sync)
        {
            _knownPeers[endPoint] = 0;
        }

        DialKnownPeers();
    }

    /// <summary>Peers from a tracker (or any other source): remembered and dialed like <see cref="AddPeer"/>.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> endPoints)
    {
        lock (_sync)
        {
            foreach (var endPoint in endPoints)
            {
                _knownPeers.TryAdd(endPoint, 0);
            }
        }

        DialKnownPeers();
    }

    private async Task HaltAsync(TorrentState next)
    {
        List<PeerConnection> peers;
        Task? tick;
        lock (_sync)
        {
            _running?.Cancel();
            tick = _tickLoop;
            _state = next;
            peers = _peers.ToList();
        }

        foreach (var peer in peers)
        {
            peer.Close(next.ToString().ToLowerInvariant());
        }

        if (tick is not null)
        {
            await tick.ConfigureAwait(false);
        }

        var deadline = Environment.TickCount64 + 5000;
        while (Environment.TickCount64 < deadline)
        {
            lock (_sync)
            {
                if (_peers.Count == 0)
                {
                    break;
                }
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        _storage.CloseHandles();
        RaiseIfChanged();
    }

    private TorrentStatus StatusLocked()
    {
        long verified = 0;
        var have = _picker.Have;
        if (have.AllSet)
        {
            verified = Torrent.TotalLength;
        }
        else
        {
            var last = Torrent.PieceCount - 1;
            verified = (long)have.TrueCount * Torrent.PieceLength;
            if (last >= 0 && have[last])
            {
                verified -= Torrent.PieceLength - Torrent.GetPieceSize(last);
            }
        }

        var progress = Torrent.TotalLength == 0 ? (have.AllSet ? 1 : 0) : (double)verified / Torrent.TotalLength;
        return new TorrentStatus(_state, progress, verified, _downloadRate, _uploadRate, _peers.Count, _error);
    }

    private void RaiseIfChanged()
    {
        TorrentStatus status;
        lock (_sync)
        {
            status = StatusLocked();
            var last = _lastRaised;
            if (last is not null && last.State == status.State && last.WholePercent == status.WholePercent && last.Error == status.Error)
            {
                return;
            }

            _lastRaised = status;
        }

        StatusChanged?.Invoke(this, status);
    }

    private void Fail(string reason)
    {
        List<PeerConnection> peers;
        lock (_sync)
        {
            if (_state == TorrentState.Error)
            {
                return;
            }

            _state = TorrentState.Error;
            _error = reason;
            _running?.Cancel();
            peers = _peers.ToList();
        }

        Log.SessionFailed(_logger, InfoHash.ToHex(), reason);
        foreach (var peer in peers)
        {
            peer.Close("session error");
        }

        RaiseIfChanged();
    }

    // ---------------------------------------------------------------- connections

    private void DialKnownPeers()
    {
        List<IPEndPoint> toDial = new();
        var now = Environment.TickCount64;
        lock (_sync)
        {
            if (_state is not (TorrentState.Downloading or TorrentState.Seeding))
            {
                return;
            }

            var room = _settings.MaxPeersPerTorrent - _peers.Count - _connecting.Count;
            foreach (var (endPoint, notBefore) in _knownPeers)
            {
                if (room <= 0)
                {
                    break;
                }

                if (notBefore > now || _connecting.Contains(endPoint) || _bannedEndPoints.Contains(endPoint)
                    || IsSelf(endPoint) || _peers.Any(p => p.Remote.Equals(endPoint) || (p.ListenPort == endPoint.Port && p.Remote.Address.Equals(endPoint.Address))))
                {
                    continue;
                }

                toDial.Add(endPoint);
                room--;
            }

            foreach (var endPoint in toDial)
            {
                _connecting.Add(endPoint);
                _knownPeers[endPoint] = now + (long)_settings.RedialInterval.TotalMilliseconds;
            }
        }

        foreach (var endPoint in toDial)
        {
            _ = DialAsync(endPoint);
        }
    }

    private bool IsSelf(IPEndPoint endPoint)
    {
        var listen = _engine.ListenEndPoint;
        return endPoint.Port == listen.Port && (endPoint.Address.Equals(listen.Address) || IPAddress.IsLoopback(endPoint.Address) && IPAddress.IsLoopback(listen.Address));
    }

    private async Task DialAsync(IPEndPoint endPoint)
    {
        PeerConnection? connection = null;
        try
        {
            if (!_engine.TryReserveConnection())
            {
                return;
            }

            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = new CancellationTokenSource(_settings.HandshakeTimeout);
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                _engine.ReleaseConnection();
                Log.DialFailed(_logger, endPoint.ToString(), e.Message);
                return;
            }

            connection = new PeerConnection(socket, endPoint, outgoing: true, _settings.SocketBufferSize);
            await connection.SendHandshakeAsync(OurHandshake()).ConfigureAwait(false);
            var handshake = await connection.ReadHandshakeAsync(_settings.HandshakeTimeout).ConfigureAwait(false);
            if (handshake.InfoHash != InfoHash)
            {
                throw new PeerProtocolException("the peer answered with another infohash");
            }

            var run = connection;
            connection = null;
            await RunPeerAsync(run, handshake).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerProtocolException or SocketException or IOException or OperationCanceledException)
        {
            Log.DialFailed(_logger, endPoint.ToString(), e.Message);
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                _engine.ReleaseConnection();
            }
        }
        finally
        {
            lock (_sync)
            {
                _connecting.Remove(endPoint);
            }
        }
    }

    internal Handshake OurHandshake() => new(InfoHash, _engine.PeerId, SupportsExtensions: true, SupportsFast: true);

    /// <summary>An incoming connection whose handshake named this torrent: answer and run it.</summary>
    internal async Task AcceptAsync(PeerConnection connection, Handshake handshake)
    {
        await connection.SendHandshakeAsync(OurHandshake()).ConfigureAwait(false);
        await RunPeerAsync(connection, handshake).ConfigureAwait(false);
    }

    /// <summary>Runs an established connection until it closes; owns it (and its engine slot) from here.</summary>
    private async Task RunPeerAsync(PeerConnection connection, Handshake handshake)
    {
        var peerIdText = Convert.ToHexString(handshake.PeerId);
        lock (_sync)
        {
            var refuse = _state is not (TorrentState.Downloading or TorrentState.Seeding) ? "session not running"
                : handshake.PeerId.AsSpan().SequenceEqual(_engine.PeerId) ? "connected to ourselves"
                : _bannedPeerIds.Contains(peerIdText) ? "banned"
                : _peers.Any(p => p.PeerId.AsSpan().SequenceEqual(handshake.PeerId)) ? "already connected"
                : _peers.Count >= _settings.MaxPeersPerTorrent ? "too many peers"
                : null;
            if (refuse is not null)
            {
                connection.Close(refuse);
            }
            else
            {
                connection.Id = ++_nextPeerId;
                connection.MaxQueued = Torrent.PieceCount + (4 * _settings.MaxIncomingRequests) + 1024;
                connection.PeerId = handshake.PeerId;
                connection.SupportsExtensions = handshake.SupportsExtensions;
                connection.SupportsFast = handshake.SupportsFast;
                _peers.Add(connection);
                SendOpening(connection);

                // A free slot is offered at once: some clients (transmission) only re-evaluate interest on a
                // timer, and an early unchoke lets them start as soon as they are interested.
                if (!_picker.Have.IsEmpty)
                {
                    UnchokeIfRoom(connection);
                }
            }
        }

        try
        {
            if (!connection.IsClosed)
            {
                Log.PeerConnected(_logger, InfoHash.ToHex(), connection.Remote.ToString(), connection.Outgoing);
                var writer = connection.RunWriterAsync(ReadBlock, MayUpload);
                var reader = ReadLoopAsync(connection);
                var first = await Task.WhenAny(writer, reader).ConfigureAwait(false);
                connection.Close(first.Exception?.GetBaseException().Message ?? "closed");
                await Task.WhenAll(Observe(writer), Observe(reader)).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_sync)
            {
                if (_peers.Remove(connection))
                {
                    if (connection.PeerHas is { } has)
                    {
                        _picker.RemoveAvailability(has);
                    }

                    _picker.ReleasePeer(connection.Id);
                    _uploadedClosed += Interlocked.Read(ref connection.Uploaded);
                    RefillOthers(connection);
                    FillFreeUploadSlots();
                }
            }

            Log.PeerClosed(_logger, InfoHash.ToHex(), connection.Remote.ToString(), connection.CloseReason ?? "closed");
            await connection.DisposeAsync().ConfigureAwait(false);
            _engine.ReleaseConnection();
            RaiseIfChanged();
        }
    }

    private async Task Observe(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerProtocolException or IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Log.PeerError(_logger, InfoHash.ToHex(), e.GetType().Name, e.Message);
        }
    }

    private void SendOpening(PeerConnection connection)
    {
        // BEP 6: have all / have none (or the BEP 3 bitfield) come directly after the handshake; then BEP 10's.
        var have = _picker.Have;
        if (connection.SupportsFast && have.AllSet)
        {
            connection.Send(new Outgoing(PeerMessageKind.HaveAll));
        }
        else if (connection.SupportsFast && have.IsEmpty)
        {
            connection.Send(new Outgoing(PeerMessageKind.HaveNone));
        }
        else if (!have.IsEmpty)
        {
            connection.Send(new Outgoing(PeerMessageKind.Bitfield, Payload: have.Bytes.ToArray()));
        }

        if (connection.SupportsExtensions)
        {
            var extension = new ExtensionHandshake(
                new Dictionary<string, int>(),
                _settings.ClientName,
                _settings.MaxIncomingRequests,
                _engine.AnnouncedPort);
            connection.Send(new Outgoing(PeerMessageKind.Extended, Payload: extension.Encode(), ExtendedId: 0));
        }
    }

    // ---------------------------------------------------------------- incoming messages

    private async Task ReadLoopAsync(PeerConnection connection)
    {
        var reader = connection.Reader;
        var bitfieldLength = BitField.ByteLength(Torrent.PieceCount);
        while (true)
        {
            var result = await reader.ReadAsync(connection.Closed).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = false;
            lock (_sync)
            {
                while (PeerMessageReader.TryRead(ref buffer, bitfieldLength, out var message))
                {
                    Handle(connection, message);
                    consumed = true;
                }
            }

            if (consumed)
            {
                connection.LastReceived = Environment.TickCount64;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private void Handle(PeerConnection peer, PeerMessage message)
    {
        if (message.Kind != PeerMessageKind.Piece)
        {
            Log.Received(_logger, peer.Id, message.Kind, message.Index);
        }

        switch (message.Kind)
        {
            case PeerMessageKind.KeepAlive or PeerMessageKind.Port or PeerMessageKind.Unknown or PeerMessageKind.Suggest:
                break;
            case PeerMessageKind.Choke:
                peer.PeerChoking = true;
                _picker.ReleasePeer(peer.Id);
                RefillOthers(peer);
                FillRequests(peer);
                break;
            case PeerMessageKind.Unchoke:
                peer.PeerChoking = false;
                peer.LastBlock = Environment.TickCount64;
                FillRequests(peer);
                break;
            case PeerMessageKind.Interested:
                peer.PeerInterested = true;
                UnchokeIfRoom(peer);
                break;
            case PeerMessageKind.NotInterested:
                peer.PeerInterested = false;
                FillFreeUploadSlots();
                break;
            case PeerMessageKind.Have:
                CheckIndex(message.Index);
                EnsureBitfield(peer);
                if (!peer.PeerHas![message.Index])
                {
                    peer.PeerHas[message.Index] = true;
                    _picker.AddAvailability(message.Index);
                }

                UpdateInterest(peer);
                break;
            case PeerMessageKind.Bitfield:
                ReplaceBitfield(peer, BitField.FromWire(message.Payload, Torrent.PieceCount));
                break;
            case PeerMessageKind.HaveAll or PeerMessageKind.HaveNone:
            {
                if (!peer.SupportsFast)
                {
                    throw new PeerProtocolException("have all/none without the fast extension");
                }

                var field = new BitField(Torrent.PieceCount);
                if (message.Kind == PeerMessageKind.HaveAll)
                {
                    field.SetAll();
                }

                ReplaceBitfield(peer, field);
                break;
            }

            case PeerMessageKind.Request:
                HandleRequest(peer, message);
                break;
            case PeerMessageKind.Cancel:
                lock (peer.Cancelled)
                {
                    if (peer.PendingUploads > 0 && peer.Cancelled.Count < _settings.MaxIncomingRequests)
                    {
                        peer.Cancelled.Add(((long)message.Index << 32) | (uint)message.Begin);
                    }
                }

                break;
            case PeerMessageKind.Piece:
                HandleBlock(peer, message);
                break;
            case PeerMessageKind.Reject:
                if (!peer.SupportsFast)
                {
                    throw new PeerProtocolException("reject without the fast extension");
                }

                _picker.Release(peer.Id, message.Index, message.Begin);
                break;
            case PeerMessageKind.AllowedFast:
                CheckIndex(message.Index);
                if (peer.AllowedFast.Count < 64)
                {
                    peer.AllowedFast.Add(message.Index);
                }

                FillRequests(peer);
                break;
            case PeerMessageKind.Extended:
                if (message.ExtendedId == 0)
                {
                    var extension = ExtensionHandshake.Parse(message.Payload);
                    peer.PeerRequestQueue = extension.RequestQueue;
                    peer.ClientName = extension.Client;
                    peer.ListenPort = extension.ListenPort;
                }

                break;
        }
    }

    private void CheckIndex(int index)
    {
        if (index < 0 || index >= Torrent.PieceCount)
        {
            throw new PeerProtocolException($"piece index {index} is out of range");
        }
    }

    private void EnsureBitfield(PeerConnection peer)
    {
        peer.PeerHas ??= new BitField(Torrent.PieceCount);
    }

    private void ReplaceBitfield(PeerConnection peer, BitField field)
    {
        // BEP 3 wants the bitfield first, but real clients send it after the extension handshake or
        // even twice (aria2 resends it): a later one simply replaces what we knew.
        if (peer.PeerHas is { } old)
        {
            _picker.RemoveAvailability(old);
        }

        peer.PeerHas = field;
        _picker.AddAvailability(field);
        UpdateInterest(peer);
    }

    private void UpdateInterest(PeerConnection peer)
    {
        var interesting = peer.PeerHas is { } has && _picker.IsInteresting(has);
        if (interesting != peer.AmInterested)
        {
            peer.AmInterested = interesting;
            peer.Send(new Outgoing(interesting ? PeerMessageKind.Interested : PeerMessageKind.NotInterested));
        }

        if (interesting)
        {
            FillRequests(peer);
        }
    }

    private void HandleRequest(PeerConnection peer, PeerMessage message)
    {
        var valid = message.Index >= 0 && message.Index < Torrent.PieceCount && message.Length is > 0 and <= PeerWireConstants.BlockSize
            && message.Begin >= 0 && (long)message.Begin + message.Length <= Torrent.GetPieceSize(message.Index);
        if (!valid)
        {
            throw new PeerProtocolException($"bad request {message.Index}/{message.Begin}/{message.Length}");
        }

        var serve = !peer.AmChoking && _picker.Have[message.Index] && peer.PendingUploads < _settings.MaxIncomingRequests;
        if (serve)
        {
            Interlocked.Increment(ref peer.PendingUploads);
            peer.Send(new Outgoing(PeerMessageKind.Piece, message.Index, message.Begin, message.Length));
        }
        else if (peer.SupportsFast)
        {
            peer.Send(new Outgoing(PeerMessageKind.Reject, message.Index, message.Begin, message.Length));
        }
    }

    private void HandleBlock(PeerConnection peer, PeerMessage message)
    {
        peer.LastBlock = Environment.TickCount64;
        _cancelBuffer.Clear();
        var result = _picker.BlockReceived(peer.Id, message.Index, message.Begin, message.Length, _cancelBuffer);
        if (result is BlockResult.Accepted or BlockResult.PieceComplete)
        {
            if (!_pieceBuffers.TryGetValue(message.Index, out var buffer))
            {
                buffer = ArrayPool<byte>.Shared.Rent(Torrent.GetPieceSize(message.Index));
                _pieceBuffers[message.Index] = buffer;
            }

            message.Payload.CopyTo(buffer.AsSpan(message.Begin, message.Length));
            peer.Downloaded += message.Length;
            _downloaded += message.Length;
            foreach (var other in _cancelBuffer)
            {
                _peers.Find(p => p.Id == other)?.Send(new Outgoing(PeerMessageKind.Cancel, message.Index, message.Begin, message.Length));
            }

            if (result == BlockResult.PieceComplete)
            {
                _pieceBuffers.Remove(message.Index);
                var contributors = _picker.Contributors(message.Index).ToArray();
                var piece = message.Index;
                _ = Task.Run(() => VerifyAndWrite(piece, buffer, contributors));
            }
        }

        FillRequests(peer);
    }

    /// <summary>
    /// Blocks released by <paramref name="gone"/> (it choked us or left) are offered to the other peers now:
    /// otherwise a peer with nothing in flight is only asked again when it sends something, which near the
    /// end of a swarm may be never.
    /// </summary>
    private void RefillOthers(PeerConnection gone)
    {
        foreach (var other in _peers)
        {
            if (other != gone)
            {
                FillRequests(other);
            }
        }
    }

    private void FillRequests(PeerConnection peer)
    {
        if (!peer.AmInterested || peer.PeerHas is null || _state != TorrentState.Downloading)
        {
            return;
        }

        if (peer.PeerChoking)
        {
            FillAllowedFastRequests(peer);
            return;
        }

        // Two seconds of the peer's rate in flight (16..max); a fresh peer starts at 64 until its rate is known.
        var target = peer.DownloadRate == 0 ? 64 : Math.Clamp((int)(2 * peer.DownloadRate / PeerWireConstants.BlockSize), 16, _settings.MaxOutstandingRequests);
        target = Math.Min(target, peer.PeerRequestQueue ?? 250);
        var deficit = target - _picker.RequestCount(peer.Id);
        if (deficit < Math.Min(8, target / 4) && _picker.RequestCount(peer.Id) > 0)
        {
            return;
        }

        _pickBuffer.Clear();
        if (_picker.RequestCount(peer.Id) == 0)
        {
            peer.LastBlock = Environment.TickCount64;
        }

        _picker.Pick(peer.Id, peer.PeerHas, deficit, _pickBuffer);
        foreach (var request in _pickBuffer)
        {
            peer.Send(new Outgoing(PeerMessageKind.Request, request.Piece, request.Begin, request.Length));
        }
    }

    /// <summary>
    /// While a peer chokes us, asks it for blocks of the pieces it said we may have anyway (BEP 6 allowed fast), up
    /// to a few at a time: a peer that just met us can start us off before it unchokes us.
    /// </summary>
    private void FillAllowedFastRequests(PeerConnection peer)
    {
        if (!peer.SupportsFast || peer.AllowedFast.Count == 0)
        {
            return;
        }

        var allowed = new BitField(Torrent.PieceCount);
        foreach (var piece in peer.AllowedFast)
        {
            allowed[piece] = peer.PeerHas![piece] && !_picker.Have[piece];
        }

        var deficit = AllowedFastRequests - _picker.RequestCount(peer.Id);
        if (allowed.TrueCount == 0 || deficit <= 0)
        {
            return;
        }

        _pickBuffer.Clear();
        _picker.Pick(peer.Id, allowed, deficit, _pickBuffer);
        foreach (var request in _pickBuffer)
        {
            peer.Send(new Outgoing(PeerMessageKind.Request, request.Piece, request.Begin, request.Length));
        }
    }

    private void VerifyAndWrite(int piece, byte[] buffer, int[] contributors)
    {
        var size = Torrent.GetPieceSize(piece);
        try
        {
            var good = _storage.HashMatches(piece, buffer.AsSpan(0, size));
            if (good)
            {
                _storage.Write(piece * Torrent.PieceLength, buffer.AsSpan(0, size));
            }

            OnPieceChecked(piece, good, contributors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"writing piece {piece} failed: {e.Message}");
        }
        catch (ObjectDisposedException)
        {
            Log.PeerError(_logger, InfoHash.ToHex(), "disposed", $"piece {piece} finished after the storage closed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnPieceChecked(int piece, bool good, int[] contributors)
    {
        var completed = false;
        lock (_sync)
        {
            if (good)
            {
                _picker.PieceVerified(piece);
                foreach (var peer in _peers)
                {
                    peer.Send(new Outgoing(PeerMessageKind.Have, piece));
                    if (peer.AmInterested && peer.PeerHas is { } has && !_picker.IsInteresting(has))
                    {
                        UpdateInterest(peer);
                    }
                }

                if (_picker.IsComplete && _state == TorrentState.Downloading)
                {
                    _state = TorrentState.Seeding;
                    completed = true;
                }
            }
            else
            {
                _picker.PieceFailed(piece);
                Log.HashFailed(_logger, InfoHash.ToHex(), piece, contributors.Length);
                if (contributors.Length == 1)
                {
                    Strike(contributors[0]);
                }

                foreach (var peer in _peers)
                {
                    FillRequests(peer);
                }
            }
        }

        if (completed)
        {
            _storage.CreateEmptyFiles();
            Log.Completed(_logger, InfoHash.ToHex());
            _announcer?.AnnounceCompleted();
        }

        RaiseIfChanged();
    }

    private void Strike(int peerId)
    {
        var peer = _peers.Find(p => p.Id == peerId);
        if (peer is null)
        {
            return;
        }

        var key = Convert.ToHexString(peer.PeerId);
        var strikes = _strikes[key] = _strikes.GetValueOrDefault(key) + 1;
        if (strikes >= _settings.BanAfterHashFailures)
        {
            _bannedPeerIds.Add(key);
            if (peer.Outgoing)
            {
                _bannedEndPoints.Add(peer.Remote);
            }

            Log.Banned(_logger, InfoHash.ToHex(), peer.Remote.ToString(), strikes);
            peer.Close("banned: sent bad data");
        }
    }

    // ---------------------------------------------------------------- uploads and choking

    private bool ReadBlock(int piece, int begin, Span<byte> destination)
    {
        try
        {
            _storage.Read(piece * Torrent.PieceLength + begin, destination);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"reading piece {piece} failed: {e.Message}");
            return false;
        }
    }

    private static bool MayUpload(PeerConnection peer) => !peer.AmChoking;

    private void UnchokeIfRoom(PeerConnection peer)
    {
        if (peer.AmChoking && UsedUploadSlots() < _settings.UnchokeSlots + 1)
        {
            peer.AmChoking = false;
            peer.Send(new Outgoing(PeerMessageKind.Unchoke));
        }
    }

    /// <summary>
    /// Gives the upload slots that a peer left (it went away or lost interest) to interested peers that wait, at once
    /// and least-served first, instead of at the next rechoke up to <see cref="EngineSettings.ChokeInterval"/> later.
    /// Without this, the last leechers of a swarm sat choked by the seeder for up to 10 s once the first ones had
    /// finished and left (the 1->8 benchmark took 10 s instead of 5 in about half the runs).
    /// </summary>
    private void FillFreeUploadSlots()
    {
        var free = _settings.UnchokeSlots + 1 - UsedUploadSlots();
        if (free <= 0)
        {
            return;
        }

        var waiting = _peers
            .Where(p => p.AmChoking && p.PeerInterested && !p.IsClosed)
            .OrderBy(p => Interlocked.Read(ref p.Uploaded))
            .Take(free)
            .ToList();
        foreach (var peer in waiting)
        {
            peer.AmChoking = false;
            peer.Send(new Outgoing(PeerMessageKind.Unchoke));
        }
    }

    /// <summary>Slots in use: interested peers we have unchoked (an unchoked peer that wants nothing costs nothing).</summary>
    private int UsedUploadSlots() => _peers.Count(p => !p.AmChoking && p.PeerInterested && !p.IsClosed);

    private void RunChoker()
    {
        var candidates = _peers.Select(p => new ChokeCandidate(p.Id, p.PeerInterested, p.DownloadRate, p.UploadRate)).ToList();
        var unchoke = _choker.Decide(candidates, _state == TorrentState.Seeding, TimeSpan.FromMilliseconds(Environment.TickCount64 - _startTicks));
        foreach (var peer in _peers)
        {
            var choke = !unchoke.Contains(peer.Id);
            if (choke != peer.AmChoking)
            {
                peer.AmChoking = choke;
                peer.Send(new Outgoing(choke ? PeerMessageKind.Choke : PeerMessageKind.Unchoke));
            }
        }
    }

    // ---------------------------------------------------------------- timers

    private async Task TickLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var last = Environment.TickCount64;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                Tick(now, Math.Max(1, now - last));
                last = now;
                DialKnownPeers();
            }
        }
        catch (OperationCanceledException)
        {
            Log.TickStopped(_logger, InfoHash.ToHex());
        }
    }

    private void Tick(long now, long elapsedMs)
    {
        var toClose = new List<(PeerConnection Peer, string Reason)>();
        lock (_sync)
        {
            long down = 0, up = 0;
            foreach (var peer in _peers)
            {
                var downloaded = peer.Downloaded;
                var uploaded = Interlocked.Read(ref peer.Uploaded);
                var downNow = (downloaded - peer.LastDownloaded) * 1000 / elapsedMs;
                var upNow = (uploaded - peer.LastUploaded) * 1000 / elapsedMs;
                peer.DownloadRate = (peer.DownloadRate + (3 * downNow)) / 4;
                peer.UploadRate = (peer.UploadRate + (3 * upNow)) / 4;
                peer.LastDownloaded = downloaded;
                peer.LastUploaded = uploaded;
                down += peer.DownloadRate;
                up += peer.UploadRate;
                if (now - peer.LastReceived > _settings.IdleTimeout.TotalMilliseconds)
                {
                    toClose.Add((peer, "idle"));
                }
                else if (_picker.RequestCount(peer.Id) > 0 && now - peer.LastBlock > _settings.SnubTimeout.TotalMilliseconds)
                {
                    toClose.Add((peer, "snubbed us"));
                }
                else if (now - peer.LastSent > _settings.KeepAliveInterval.TotalMilliseconds)
                {
                    peer.Send(new Outgoing(PeerMessageKind.KeepAlive));
                    peer.LastSent = now;
                }
            }

            _downloadRate = down;
            _uploadRate = up;

            // A safety net for the same reason as RefillOthers: no peer stays idle while it has blocks we miss.
            foreach (var peer in _peers)
            {
                if (!peer.IsClosed)
                {
                    FillRequests(peer);
                }
            }
            if (now - _lastChoke >= _settings.ChokeInterval.TotalMilliseconds)
            {
                _lastChoke = now;
                RunChoker();
            }
        }

        foreach (var (peer, reason) in toClose)
        {
            peer.Close(reason);
        }
    }

    internal async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _storage.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Torrent {InfoHash} started with {Have}/{Pieces} pieces")]
        public static partial void Started(ILogger logger, string infoHash, int have, int pieces);

        [LoggerMessage(2, LogLevel.Information, "Torrent {InfoHash} completed")]
        public static partial void Completed(ILogger logger, string infoHash);

        [LoggerMessage(3, LogLevel.Error, "Torrent {InfoHash} failed: {Reason}")]
        public static partial void SessionFailed(ILogger logger, string infoHash, string reason);

        [LoggerMessage(4, LogLevel.Debug, "Dial {EndPoint} failed: {Reason}")]
        public static partial void DialFailed(ILogger logger, string endPoint, string reason);

        [LoggerMessage(5, LogLevel.Debug, "Torrent {InfoHash}: peer {EndPoint} connected (outgoing {Outgoing})")]
        public static partial void PeerConnected(ILogger logger, string infoHash, string endPoint, bool outgoing);

        [LoggerMessage(6, LogLevel.Debug, "Torrent {InfoHash}: peer {EndPoint} closed: {Reason}")]
        public static partial void PeerClosed(ILogger logger, string infoHash, string endPoint, string reason);

        [LoggerMessage(7, LogLevel.Debug, "Torrent {InfoHash}: peer error {Kind}: {Reason}")]
        public static partial void PeerError(ILogger logger, string infoHash, string kind, string reason);

        [LoggerMessage(8, LogLevel.Warning, "Torrent {InfoHash}: piece {Piece} failed its hash ({Contributors} peers took part)")]
        public static partial void HashFailed(ILogger logger, string infoHash, int piece, int contributors);

        [LoggerMessage(9, LogLevel.Warning, "Torrent {InfoHash}: banned {EndPoint} after {Strikes} bad pieces")]
        public static partial void Banned(ILogger logger, string infoHash, string endPoint, int strikes);

        [LoggerMessage(11, LogLevel.Trace, "Peer {Peer} sent {Kind} {Index}")]
        public static partial void Received(ILogger logger, int peer, PeerMessageKind kind, int index);

        [LoggerMessage(10, LogLevel.Trace, "Torrent {InfoHash}: tick loop stopped")]
        public static partial void TickStopped(ILogger logger, string infoHash);
    }
}
