using TorrentActors.Contracts;

namespace TorrentActors.Actors.Patrons;

/// <summary>Take the next torrent ID now for the command of <paramref name="Request"/>, whose torrent is added later.</summary>
/// <remarks>
/// The parser sends it as a <c>file:</c> or <c>torrent:</c> command arrives, before the command's work (making,
/// fetching) starts, so IDs follow the order of arrival however long each command's work takes.
/// </remarks>
public sealed record ReserveId(RequestId Request);

/// <summary>
/// The node's IDs in the order commands arrive: one counter for IDs taken early (<see cref="Reserve"/>, as a command
/// arrives) and IDs taken when a torrent is added without one (<see cref="Take"/>). The torrent of a reserved command
/// claims its ID when it is added. The ID of a command that fails is never given to a later command, except that the
/// counter steps back over released IDs at its top (no later command has taken one): commands sent one at a time stay
/// numbered 1, 2, 3 whatever fails between them, and a failure amid commands sent together leaves a gap. Bounded: at most
/// <see cref="MaxHeld"/> IDs are held, each for at most <see cref="HoldFor"/> (a command still working after that
/// gets a new ID when its torrent is added). Not thread safe: the patrons actor owns it.
/// </summary>
internal sealed class IdReservations
{
    public const int MaxHeld = 100_000;

    public static readonly TimeSpan HoldFor = TimeSpan.FromHours(1);

    private readonly Dictionary<RequestId, (int Id, DateTime At)> _held = [];
    private readonly Queue<RequestId> _order = new();
    private readonly HashSet<int> _released = [];
    private int _next;

    public int Held => _held.Count;

    /// <summary>The ID <see cref="Take"/> would give now, not taken.</summary>
    public int Peek(int registryNext) => Math.Max(_next, registryNext);

    /// <summary>The next ID: above every ID taken before and at least the registry's next.</summary>
    public int Take(int registryNext)
    {
        var id = Peek(registryNext);
        _next = id + 1;
        _released.Clear(); // every released ID is below this one, never to be given
        return id;
    }

    public void Reserve(RequestId request, int registryNext, DateTime now)
    {
        if (request.IsNone || _held.ContainsKey(request))
        {
            return;
        }

        _held[request] = (Take(registryNext), now);
        _order.Enqueue(request);
        Expire(now);
    }

    /// <summary>The ID reserved for <paramref name="request"/>, now given up by the reservations; null if none is held.</summary>
    public int? Claim(RequestId request) => _held.Remove(request, out var held) ? held.Id : null;

    /// <summary>The command of <paramref name="request"/> failed: its ID is not given, unless no later one was taken.</summary>
    public void Release(RequestId request)
    {
        if (_held.Remove(request, out var held))
        {
            Forgo(held.Id);
        }
    }

    /// <summary>A claimed <paramref name="id"/> whose torrent was refused: not given, unless no later one was taken.</summary>
    public void Forgo(int id)
    {
        _released.Add(id);
        while (_released.Remove(_next - 1))
        {
            _next--;
        }
    }

    private void Expire(DateTime now)
    {
        while (_order.TryPeek(out var oldest)
            && (!_held.TryGetValue(oldest, out var held) || now - held.At > HoldFor || _held.Count > MaxHeld))
        {
            _order.Dequeue();
            _held.Remove(oldest);
        }
    }
}
