using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>A cluster member run as a real node process: its name, process, download folder and fixed remote port.</summary>
public sealed record ClusterMember(string Name, NodeProcess Process, string Downloads, int RemotePort);

/// <summary>
/// Starts real node processes as cluster members on 127.0.0.1 (<c>--json</c>, no tracker, peers on port 0, a fixed
/// remote port so a member can be started again where it was) and reads their <c>status</c> back.
/// </summary>
public static class ClusterMembers
{
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(60);

    /// <summary>Starts member <paramref name="name"/> in <c>TEMP/NAME</c>; with <paramref name="seedPort"/> it joins through that member.</summary>
    public static ClusterMember StartMember(TempFolder temp, string name, int remotePort, int? seedPort)
    {
        var arguments = new List<string>
        {
            "--cluster", "--node-name", name, "--remote-port", remotePort.ToString(CultureInfo.InvariantCulture),
            "--torrent-dir", temp.Combine(name, "torrents"), "--download-dir", temp.Combine(name, "downloads"), "--state-dir", temp.Combine(name, "state"),
            "--no-tracker", "--listen-port", "0", "--json",
        };
        if (seedPort is { } seed)
        {
            arguments.AddRange(["--seed-node", $"akka.tcp://torrentactors@127.0.0.1:{seed}"]);
        }

        return new ClusterMember(name, NodeProcess.Start(temp.Folder(name), [.. arguments]), temp.Combine(name, "downloads"), remotePort);
    }

    /// <summary>Asks a member for <c>status</c> and returns its JSON object for the torrent with <paramref name="id"/>.</summary>
    public static async Task<JsonElement?> StatusOfAsync(ClusterMember member, int id) =>
        (await StatusAsync(member, [id])) is { } all ? all[id] : null;

    /// <summary>
    /// Asks a member for <c>status</c> and returns its JSON object (one with <c>replicas</c>) for each of
    /// <paramref name="ids"/>, or null when not all of them come within 5 s.
    /// </summary>
    public static async Task<Dictionary<int, JsonElement>?> StatusAsync(ClusterMember member, IReadOnlyCollection<int> ids)
    {
        var before = member.Process.AllStdout.Count;
        await member.Process.SendAsync("status");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        var found = new Dictionary<int, JsonElement>();
        while (DateTime.UtcNow < deadline)
        {
            foreach (var line in member.Process.AllStdout.Skip(before))
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.TryGetProperty("id", out var id) && ids.Contains(id.GetInt32()) && document.RootElement.TryGetProperty("replicas", out _))
                {
                    found[id.GetInt32()] = document.RootElement.Clone();
                }
            }

            if (found.Count == ids.Count)
            {
                return found;
            }

            await Task.Delay(100);
        }

        return null;
    }

    public static int CompleteCopies(JsonElement status, string? except = null) =>
        Copies(status).Count(c => c.GetProperty("complete").GetBoolean() && c.GetProperty("node").GetString() != except);

    /// <summary>The members with a complete copy.</summary>
    public static HashSet<string> CompleteOn(JsonElement status) =>
        Copies(status).Where(c => c.GetProperty("complete").GetBoolean()).Select(c => c.GetProperty("node").GetString()!).ToHashSet(StringComparer.Ordinal);

    public static bool Lists(JsonElement status, string node) => Copies(status).Any(c => c.GetProperty("node").GetString() == node);

    public static bool AtTarget(JsonElement status) => status.GetProperty("replicas").GetProperty("atTarget").GetBoolean();

    private static IEnumerable<JsonElement> Copies(JsonElement status) => status.GetProperty("replicas").GetProperty("copies").EnumerateArray();

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, params ClusterMember[] members)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not within {timeout.TotalSeconds} s\n{Describe(members)}");
            }

            await Task.Delay(500);
        }
    }

    public static string Describe(IEnumerable<ClusterMember> members) =>
        string.Join("\n----\n", members.Select(m => m.Name + ":\n" + m.Process.Describe()));

    /// <summary>Waits until <paramref name="member"/> logs every one of <paramref name="names"/> as a member that is up.</summary>
    public static async Task WaitForMembersAsync(ClusterMember member, params string[] names)
    {
        foreach (var name in names)
        {
            await member.Process.WaitForOutputAsync($"Cluster member {name} at", Start);
        }
    }

    /// <summary>Seeds <paramref name="path"/> on <paramref name="member"/> with <c>file:</c> and returns its ID and infohash once it is at 100.</summary>
    public static async Task<(int Id, string InfoHash)> SeedAsync(ClusterMember member, string path)
    {
        var name = Path.GetFileName(path);
        await member.Process.SendAsync("file:" + path);
        var lines = await member.Process.ReadUntilAsync(
            l => l.Contains($"\"name\":\"{name}\"", StringComparison.Ordinal) && l.Contains("\"percent\":100", StringComparison.Ordinal),
            Start);
        var root = JsonDocument.Parse(lines[^1]).RootElement;
        return (root.GetProperty("id").GetInt32(), root.GetProperty("infohash").GetString()!);
    }

    /// <summary>
    /// The rendezvous weight the node gives <paramref name="node"/> for a torrent, computed here on its own from its
    /// definition (the first 8 bytes, big-endian, of SHA-256 of the infohash and the UTF-8 node name), so a test can
    /// choose node names that placement gives torrents to.
    /// </summary>
    public static ulong Score(string infoHashHex, string node)
    {
        var digest = SHA256.HashData([.. Convert.FromHexString(infoHashHex), .. Encoding.UTF8.GetBytes(node)]);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    /// <summary>The member of <paramref name="nodes"/> with the highest weight for the torrent (ties to the ordinally first name).</summary>
    public static string Best(string infoHashHex, IEnumerable<string> nodes) =>
        nodes.OrderByDescending(n => Score(infoHashHex, n)).ThenBy(n => n, StringComparer.Ordinal).First();
}
