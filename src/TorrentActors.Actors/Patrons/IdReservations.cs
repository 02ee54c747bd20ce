using TorrentActors.Contracts;

namespace TorrentActors.Actors.Patrons;

/// <summary>Hold a place in the order of IDs for the command of <paramref name="Request"/>, whose torrent is added later.</summary>
/// <remarks>
/// The parser sends it as a <c>file:</c> or <c>torrent:</c> command arrives, before the command's work (making,
/// fetching) starts, so IDs follow the order of arrival however long each command's work takes.
/// </remarks>
public sealed record ReserveId(RequestId Request);

/// <summary>
/// The node's IDs in the order commands arrive. Commands that add a torrent hold a place as they arrive
/// (<see cref="Reserve"/>); a torrent is numbered when it is added (<see cref="Claim"/>, or <see cref="Take"/> for one
/// that held no place), and every command that arrived before it and is still working is numbered first, below it.
/// A command that fails before a later one was numbered leaves no trace; one that fails after leaves a gap (its number
/// is never given to another torrent), except that the counter steps back over given-up numbers at its top. Bounded: at
/// most <see cref="MaxHeld"/> places, each for at most <see cref="HoldFor"/> (a command still working after that is
/// numbered when its torrent is added, as one that held no place). Not thread safe: the patrons actor owns it.
/// </summary>
internal sealed class IdReservations
{
    public const int MaxHeld = 100_000;

    public static readonly TimeSpan HoldFor = TimeSpan.FromHours(1);

    private readonly LinkedList<Place> _places = new();
    private readonly Dictionary<RequestId, LinkedListNode<Place>> _byRequest = [];
    private readonly HashSet<int> _givenUp = [];
    private int _next;

    public int Held => _byRequest.Count;

    public void Reserve(RequestId request, DateTime now)
    {
        if (request.IsNone || _byRequest.ContainsKey(request))
        {
            return;
        }

        _byRequest[request] = _places.AddLast(new Place(now));
        Expire(now);
    }

    /// <summary>
    /// The ID of the torrent of <paramref name="request"/>: the commands that arrived before it and are still working
    /// are numbered first. Null when <paramref name="request"/> holds no place.
    /// </summary>
    public int? Claim(RequestId request, int registryNext)
    {
        if (!_byRequest.Remove(request, out var node))
        {
            return null;
        }

        for (var earlier = _places.First; earlier != node; earlier = earlier!.Next)
        {
            earlier!.Value.Id ??= Next(registryNext);
        }

        var id = node.Value.Id ?? Next(registryNext);
        _places.Remove(node);
        return id;
    }

    /// <summary>The ID <see cref="Take"/> would give now.</summary>
    public int Peek(int registryNext) => Math.Max(_next, registryNext) + _places.Count(p => p.Id is null);

    /// <summary>The ID of a torrent that held no place: after every command still working.</summary>
    public int Take(int registryNext)
    {
        foreach (var place in _places.Where(p => p.Id is null))
        {
            place.Id = Next(registryNext);
        }

        return Next(registryNext);
    }

    /// <summary>The command of <paramref name="request"/> failed.</summary>
    public void Release(RequestId request)
    {
        if (_byRequest.Remove(request, out var node))
        {
            _places.Remove(node);
            GiveUp(node.Value.Id);
        }
    }

    /// <summary>A number that will not be given (its torrent was refused); the counter steps back over it if it is the top.</summary>
    public void GiveUp(int? id)
    {
        if (id is not { } number)
        {
            return;
        }

        _givenUp.Add(number);
        while (_givenUp.Remove(_next - 1))
        {
            _next--;
        }
    }

    private int Next(int registryNext)
    {
        var id = Math.Max(_next, registryNext);
        _next = id + 1;
        _givenUp.Clear(); // every number given up so far is below this one now, never to be given
        return id;
    }

    private void Expire(DateTime now)
    {
        while (_places.First is { } oldest && (now - oldest.Value.At > HoldFor || _places.Count > MaxHeld))
        {
            _places.RemoveFirst();
            foreach (var stale in _byRequest.Where(pair => pair.Value == oldest).Select(pair => pair.Key).ToList())
            {
                _byRequest.Remove(stale);
            }

            GiveUp(oldest.Value.Id);
        }
    }

    private sealed class Place(DateTime at)
    {
        public DateTime At { get; } = at;

        /// <summary>Set once a command that arrived later was numbered first.</summary>
        public int? Id { get; set; }
    }
}
