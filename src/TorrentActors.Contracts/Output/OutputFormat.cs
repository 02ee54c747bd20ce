using System.Globalization;
using System.Text;
using System.Text.Json;
using TorrentActors.Engine.Client;

namespace TorrentActors.Contracts.Output;

/// <summary>Formats stdout lines: plain text (<c>ID:NAME:PERCENT</c>, <c>error: ...</c>) or JSON lines.</summary>
public static class OutputFormat
{
    /// <summary>The longest command echoed back in an error; longer ones are cut with an ellipsis.</summary>
    public const int MaxEchoedCommandLength = 200;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static string Format(NodeOutputs.INodeOutput output, bool json) => json ? ToJson(output) : ToText(output);

    public static string ToText(NodeOutputs.INodeOutput output) => output switch
    {
        NodeOutputs.Progress { StatusReply: true, State: TorrentState.Stopped, Replicas: not { HeldHere: false } } p =>
            $"{p.Id.Value.ToString(CultureInfo.InvariantCulture)}:{OneLine(p.Name, int.MaxValue)}:{OutcomeName(CommandOutcome.Stopped)}",
        NodeOutputs.Progress p => string.Create(
            CultureInfo.InvariantCulture,
            $"{p.Id.Value}:{OneLine(p.Name, int.MaxValue)}:{p.Percent}"),
        NodeOutputs.Answer a => $"{a.Id.Value.ToString(CultureInfo.InvariantCulture)}:{OneLine(a.Name, int.MaxValue)}:{OutcomeName(a.Outcome)}",
        NodeOutputs.Error e => $"error: {OneLine(e.Command, MaxEchoedCommandLength)}: {OneLine(e.Reason, int.MaxValue)}",
        _ => throw new ArgumentOutOfRangeException(nameof(output), output.GetType().Name, "unknown output"),
    };

    public static string ToJson(NodeOutputs.INodeOutput output)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            switch (output)
            {
                case NodeOutputs.Progress p:
                    writer.WriteNumber("id", p.Id.Value);
                    writer.WriteString("name", p.Name);
                    writer.WriteNumber("percent", p.Percent);
                    writer.WriteString("infohash", p.InfoHash.ToHex());
                    writer.WriteString("state", p.Replicas is { HeldHere: false } ? "elsewhere" : StateName(p.State));
                    writer.WriteNumber("downloadRate", p.DownloadRate);
                    writer.WriteNumber("uploadRate", p.UploadRate);
                    writer.WriteNumber("peers", p.PeerCount);
                    if (p.TrackerError is { } trackerError)
                    {
                        writer.WriteString("trackerError", trackerError);
                    }

                    if (p.Replicas is { } replicas)
                    {
                        writer.WriteStartObject("replicas");
                        writer.WriteNumber("target", replicas.Target);
                        writer.WriteBoolean("atTarget", replicas.AtTarget);
                        writer.WriteStartArray("copies");
                        foreach (var copy in replicas.Copies)
                        {
                            writer.WriteStartObject();
                            writer.WriteString("node", copy.Node);
                            writer.WriteNumber("percent", copy.Percent);
                            writer.WriteBoolean("complete", copy.Complete);
                            writer.WriteBoolean("holder", copy.Holder);
                            writer.WriteEndObject();
                        }

                        writer.WriteEndArray();
                        writer.WriteEndObject();
                    }

                    break;
                case NodeOutputs.Answer a:
                    writer.WriteNumber("id", a.Id.Value);
                    writer.WriteString("name", a.Name);
                    writer.WriteString("answer", OutcomeName(a.Outcome));
                    writer.WriteString("command", Shorten(a.Command, MaxEchoedCommandLength));
                    break;
                case NodeOutputs.Error e:
                    writer.WriteString("error", e.Reason);
                    writer.WriteString("command", Shorten(e.Command, MaxEchoedCommandLength));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(output), output.GetType().Name, "unknown output");
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The word of an answer line: <c>stopped</c>, <c>started</c> or <c>removed</c>.</summary>
    public static string OutcomeName(CommandOutcome outcome) => outcome switch
    {
        CommandOutcome.Stopped => "stopped",
        CommandOutcome.Started => "started",
        CommandOutcome.Removed => "removed",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    public static string StateName(TorrentState state) => state switch
    {
        TorrentState.Stopped => "stopped",
        TorrentState.Checking => "checking",
        TorrentState.Downloading => "downloading",
        TorrentState.Seeding => "seeding",
        TorrentState.Paused => "paused",
        TorrentState.Error => "error",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>Cuts <paramref name="text"/> to a length and replaces control characters, so a line stays one line.</summary>
    public static string OneLine(string text, int maxLength)
    {
        var shortened = Shorten(text, maxLength);
        var builder = new StringBuilder(shortened.Length);
        foreach (var c in shortened)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }

    private static string Shorten(string text, int maxLength) =>
        text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength), "…");
}
