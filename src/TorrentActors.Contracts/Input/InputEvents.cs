namespace TorrentActors.Contracts.Input;

/// <summary>What the stdin bridge reads.</summary>
public static class InputEvents
{
    public interface IInputEvent;

    /// <summary>One line, without its line break.</summary>
    public sealed record LineRead(string Text) : IInputEvent;

    /// <summary>A line longer than the limit: it was dropped up to its line break; <paramref name="Prefix"/> is its start.</summary>
    public sealed record LineTooLong(string Prefix, long Length) : IInputEvent;

    /// <summary>The end of stdin: no more commands will come.</summary>
    public sealed record InputEnded : IInputEvent
    {
        public static readonly InputEnded Instance = new();

        private InputEnded()
        {
        }
    }
}
