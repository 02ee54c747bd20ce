using System.Text;
using TorrentActors.Contracts.Input;

namespace TorrentActors.Actors.Input;

/// <summary>
/// Splits a <see cref="TextReader"/> into lines without buffering more than a limit: a longer line is
/// dropped up to its line break and reported once as <see cref="InputEvents.LineTooLong"/>.
/// </summary>
public static class BoundedLineReader
{
    private const int BlockSize = 4096;
    private const int PrefixLength = 40;

    /// <summary>Reads until the end of <paramref name="reader"/>, calling <paramref name="sink"/> for each event, the last being <see cref="InputEvents.InputEnded"/>.</summary>
    public static void Run(TextReader reader, int maxLineChars, Action<InputEvents.IInputEvent> sink, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineChars, 1);
        var block = new char[BlockSize];
        var line = new StringBuilder();
        long overflowLength = -1;
        string overflowPrefix = "";

        while (!cancellationToken.IsCancellationRequested)
        {
            var read = reader.Read(block, 0, block.Length);
            if (read == 0)
            {
                break;
            }

            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (block[i] != '\n')
                {
                    continue;
                }

                Append(block.AsSpan(start, i - start));
                Flush();
                start = i + 1;
            }

            Append(block.AsSpan(start, read - start));
        }

        if (line.Length > 0 || overflowLength >= 0)
        {
            Flush();
        }

        sink(InputEvents.InputEnded.Instance);

        void Append(ReadOnlySpan<char> chars)
        {
            if (overflowLength >= 0)
            {
                overflowLength += chars.Length;
                return;
            }

            if (line.Length + chars.Length <= maxLineChars)
            {
                line.Append(chars);
                return;
            }

            overflowLength = line.Length + chars.Length;
            overflowPrefix = string.Concat(line.ToString(0, Math.Min(line.Length, PrefixLength)), chars[..Math.Clamp(PrefixLength - line.Length, 0, chars.Length)]);
            line.Clear();
        }

        void Flush()
        {
            if (overflowLength >= 0)
            {
                sink(new InputEvents.LineTooLong(overflowPrefix, overflowLength));
                overflowLength = -1;
                overflowPrefix = "";
            }
            else
            {
                sink(new InputEvents.LineRead(line.ToString()));
            }

            line.Clear();
        }
    }
}
