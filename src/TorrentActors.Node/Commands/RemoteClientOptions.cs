using System.CommandLine;
using System.Globalization;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Node.Commands;

/// <summary>What <c>send</c>, <c>watch</c> and <c>status</c> share: which node, TLS, deadlines, and the pipe-format lines.</summary>
internal sealed class RemoteClientOptions
{
    public Option<string> Node { get; } = new("--node")
    {
        Description = "The node's address, as it logs it: akka.tcp://torrentactors@HOST:PORT (akka.ssl.tcp://... with TLS)",
        Required = true,
    };

    public Option<string?> Certificate { get; } = new("--remote-cert") { Description = "PKCS#12 (.pfx) certificate: talk TLS; the node must use the same certificate" };

    public Option<string?> CertificatePassword { get; } = new("--remote-cert-password") { Description = "Password of the --remote-cert file" };

    public Option<double> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = "Seconds to wait for the node to answer at all",
        DefaultValueFactory = _ => 5,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Node);
        command.Options.Add(Certificate);
        command.Options.Add(CertificatePassword);
        command.Options.Add(ConnectTimeout);
    }

    /// <summary>
    /// Adds the client options to <paramref name="command"/> and gives it an action that connects first and runs
    /// <paramref name="body"/> with the client, the replies writer and stderr. When no node answers, the reason goes
    /// to stderr and the command exits 1 without running the body.
    /// </summary>
    public void SetConnectedAction(
        Command command,
        Func<RemoteClient, ParseResult, TextWriter, TextWriter, CancellationToken, Task<int>> body)
    {
        AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var stdout = RepliesOut(result);
            var stderr = result.InvocationConfiguration.Error;
            await using var remote = await ConnectAsync(result, stderr);
            return remote is null ? 1 : await body(remote, result, stdout, stderr, cancellationToken);
        });
    }

    /// <summary>
    /// The writer for replies. When it is the console, stray writes to <see cref="Console.Out"/> (Akka's fallback
    /// logger at shutdown) are sent to stderr from now on, so stdout holds only replies.
    /// </summary>
    public static TextWriter RepliesOut(ParseResult result)
    {
        var stdout = result.InvocationConfiguration.Output;
        if (ReferenceEquals(stdout, Console.Out))
        {
            Console.SetOut(Console.Error);
        }

        return stdout;
    }

    /// <summary>Connects, or writes why not on <paramref name="stderr"/> and returns null.</summary>
    public async Task<RemoteClient?> ConnectAsync(ParseResult result, TextWriter stderr)
    {
        var settings = new RemoteSettings
        {
            Port = 0,
            CertificatePath = result.GetValue(Certificate),
            CertificatePassword = result.GetValue(CertificatePassword),
        };
        try
        {
            var timeout = TimeSpan.FromSeconds(Math.Clamp(result.GetValue(ConnectTimeout), 0.5, 600));
            return await RemoteClient.ConnectAsync(result.GetRequiredValue(Node), settings, timeout);
        }
        catch (FormatException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return null;
        }
        catch (RemoteNodeException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return null;
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            await stderr.WriteLineAsync($"error: cannot load the certificate: {ex.Message}");
            return null;
        }
        catch (IOException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return null;
        }
    }

    /// <summary><c>ID:NAME:PERCENT</c>, exactly as the node prints it.</summary>
    public static string Line(RemoteEvents.TorrentProgress progress) =>
        string.Create(CultureInfo.InvariantCulture, $"{progress.Id}:{OutputFormat.OneLine(progress.Name, int.MaxValue)}:{progress.Percent}");

    /// <summary><c>ID:NAME:stopped</c>, <c>ID:NAME:started</c> or <c>ID:NAME:removed</c>, exactly as the node prints its answer.</summary>
    public static string Line(RemoteReplies.CommandApplied applied) =>
        string.Create(CultureInfo.InvariantCulture, $"{applied.Id}:{OutputFormat.OneLine(applied.Name, int.MaxValue)}:{applied.Outcome}");

    /// <summary><c>replica: KIND ID:NAME on NODE (DETAIL)</c>: a cluster's replica event.</summary>
    public static string Line(RemoteEvents.ReplicaChanged replica) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"replica: {replica.Kind} {replica.Id}:{OutputFormat.OneLine(replica.Name, int.MaxValue)} on {replica.Node} ({OutputFormat.OneLine(replica.Detail, int.MaxValue)})");

    /// <summary>
    /// <c>ID:NAME:PERCENT INFOHASH STATE</c>, and on a cluster member <c>replicas C/T at-target|below-target
    /// NODE:PERCENT[*],…</c> (complete copies, target; <c>*</c> marks the holders placement chose).
    /// </summary>
    public static string LongLine(RemoteEvents.TorrentProgress progress)
    {
        var line = $"{Line(progress)} {progress.InfoHash} {progress.State}";
        if (progress.Replicas is not { } replicas)
        {
            return line;
        }

        var copies = string.Join(',', replicas.Copies.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Node}:{c.Percent}{(c.Holder ? "*" : "")}")));
        var complete = replicas.Copies.Count(c => c.Complete);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{line} replicas {complete}/{replicas.Target} {(replicas.AtTarget ? "at-target" : "below-target")} {(copies.Length == 0 ? "-" : copies)}");
    }

    /// <summary><c>error: COMMAND: REASON</c>, exactly as the node prints it.</summary>
    public static string Line(string command, string reason) => OutputFormat.ToText(new NodeOutputs.Error(command, reason, RequestId.None));
}
