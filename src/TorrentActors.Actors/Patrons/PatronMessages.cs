using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Patrons;

/// <summary>Between a patron and its supervisor (local only).</summary>
internal static class PatronMessages
{
    /// <summary>The session started (again): the failure count resets.</summary>
    public sealed record PatronRunning(InfoHash InfoHash);

    /// <summary>A transient failure; the patron restarts after a back-off.</summary>
    public sealed record PatronFailed(InfoHash InfoHash, string Reason);

    /// <summary>The engine raised StatusChanged (on its own thread); the patron handles it as a message.</summary>
    public sealed record StatusObserved(TorrentStatus Status);

    public sealed record SessionStarted
    {
        public static readonly SessionStarted Instance = new();

        private SessionStarted()
        {
        }
    }

    public sealed record SessionFailed(Exception Exception);

    /// <summary>Timer: write the session's resume data if its verified pieces changed since the last write.</summary>
    public sealed record SaveResume
    {
        public static readonly SaveResume Instance = new();

        private SaveResume()
        {
        }
    }

    public sealed record SessionRemoved
    {
        public static readonly SessionRemoved Instance = new();

        private SessionRemoved()
        {
        }
    }

    /// <summary>Shutdown: stop the session (trackers told <c>stopped</c>) and reply <see cref="SessionStopped"/>.</summary>
    public sealed record StopSession
    {
        public static readonly StopSession Instance = new();

        private StopSession()
        {
        }
    }

    public sealed record SessionStopped
    {
        public static readonly SessionStopped Instance = new();

        private SessionStopped()
        {
        }
    }

    public sealed record CommandDone(InstructionCommands.IInstruction Instruction);

    public sealed record CommandFailed(string Command, RequestId Request, Exception Exception);
}

/// <summary>The patron's session failed in a way a restart may fix.</summary>
public sealed class TransientTorrentException(string reason, Exception inner) : IOException(reason, inner);
