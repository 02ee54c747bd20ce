using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>The pieces of a real swarm on 127.0.0.1: the node's own tracker as a process, and aria2c as a seeder.</summary>
public static partial class Swarm
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"tracker: announce (?<url>http://\S+/announce)")]
    private static partial Regex TrackerBanner();

    /// <summary>
    /// Starts <c>torrentactors tracker</c> on a free port (HTTP only) with a short announce interval, so peers that
    /// come back after a kill find each other quickly; returns it with its announce URL.
    /// </summary>
    public static async Task<(NodeProcess Tracker, string AnnounceUrl)> StartTrackerAsync(string workingDirectory, int intervalSeconds = 2)
    {
        var tracker = NodeProcess.Start(workingDirectory, "tracker", "--port", "0", "--udp-port", "-1", "--interval", intervalSeconds.ToString(CultureInfo.InvariantCulture));
        string? url = null;
        await tracker.WaitUntilAsync(() => (url = TrackerBanner().Match(tracker.Output) is { Success: true } m ? m.Groups["url"].Value : null) is not null, StartTimeout, "the tracker's announce URL");
        return (tracker, url!);
    }

    /// <summary>Makes a .torrent of <paramref name="path"/> with the node's <c>make</c>; returns its path.</summary>
    public static async Task<string> MakeTorrentAsync(string path, string announceUrl, string output, long? pieceLength = null)
    {
        List<string> arguments = [NodeBuild.DllPath, "make", path, "--announce", announceUrl, "--output", output, "--force"];
        if (pieceLength is { } length)
        {
            arguments.AddRange(["--piece-length", length.ToString(CultureInfo.InvariantCulture)]);
        }

        var result = await TestProcess.RunAsync("dotnet", arguments, timeout: TimeSpan.FromSeconds(120));
        return result.ExitCode == 0 ? output : throw new InvalidOperationException($"make failed ({result.ExitCode}): {result.Stderr}");
    }

    /// <summary>The aria2c options every test uses: loopback only, no DHT, LPD or PEX, no console noise.</summary>
    public static string[] Aria2BaseOptions(int listenPort) =>
    [
        "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false",
        "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--summary-interval=0", "--console-log-level=warn",
        "--listen-port=" + listenPort.ToString(CultureInfo.InvariantCulture),
    ];
}

/// <summary>
/// aria2c seeding one torrent whose data is already in <c>dir</c> (not hashed again: <c>--bt-seed-unverified</c>),
/// for as long as the test runs, with its JSON-RPC interface on a free port so the test can read how many bytes it
/// has uploaded.
/// </summary>
public sealed class Aria2Seeder : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Uri _rpc;

    private Aria2Seeder(TestProcess process, int rpcPort)
    {
        Process = process;
        _rpc = new Uri($"http://127.0.0.1:{rpcPort}/jsonrpc");
    }

    public TestProcess Process { get; }

    /// <summary>Starts the seeder; <paramref name="uploadLimit"/> (aria2c's syntax, e.g. <c>40M</c>) caps its upload rate.</summary>
    public static async Task<Aria2Seeder> StartAsync(string aria2c, string torrentPath, string dataDirectory, string? uploadLimit = null)
    {
        List<string> arguments =
        [
            .. Swarm.Aria2BaseOptions(FreePort.Tcp()),
            "--enable-rpc=true", "--rpc-listen-all=false", "--bt-seed-unverified=true", "--seed-ratio=0.0", "--check-integrity=false",
            "--dir=" + dataDirectory,
        ];
        var rpcPort = FreePort.Tcp();
        arguments.Add("--rpc-listen-port=" + rpcPort.ToString(CultureInfo.InvariantCulture));
        if (uploadLimit is not null)
        {
            arguments.Add("--max-overall-upload-limit=" + uploadLimit);
        }

        arguments.Add(torrentPath);
        var seeder = new Aria2Seeder(TestProcess.Start(aria2c, arguments), rpcPort);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await seeder.StatusAsync();
                return seeder;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !seeder.Process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>How many bytes aria2c has uploaded so far (all peers together).</summary>
    public async Task<long> UploadedAsync() =>
        (await StatusAsync()).UploadLength;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Process.DisposeAsync();
    }

    private async Task<(long UploadLength, string Status)> StatusAsync()
    {
        var request = new { jsonrpc = "2.0", id = "t", method = "aria2.tellActive", @params = new object[] { new[] { "uploadLength", "status" } } };
        // As a string: aria2c answers 500 to a chunked body, which PostAsJsonAsync sends.
        using var body = new StringContent(JsonSerializer.Serialize(request), System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(_rpc, body);
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var active = document.RootElement.GetProperty("result");
        if (active.GetArrayLength() != 1)
        {
            throw new HttpRequestException($"aria2c has {active.GetArrayLength()} active downloads");
        }

        var item = active[0];
        return (long.Parse(item.GetProperty("uploadLength").GetString()!, CultureInfo.InvariantCulture), item.GetProperty("status").GetString()!);
    }
}
