using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Registry;

/// <summary>
/// Resume data (<see cref="Engine.Storage.ResumeData"/>, encoded) of each torrent, in the node's state database beside
/// the registry's journal: a plain table keyed by infohash, one row rewritten in place each time, since only the
/// latest value matters and it changes every few seconds (an event per change would only grow the journal). A store
/// without a database keeps nothing. A write that fails (a full disk) is logged and the node serves on with the last
/// good row.
/// </summary>
public sealed partial class ResumeStore
{
    public static readonly ResumeStore None = new(null, null);

    private readonly StateTables _tables;
    private readonly ILogger _logger;

    public ResumeStore(string? databasePath, ILogger? logger)
    {
        _tables = new StateTables(databasePath, "CREATE TABLE IF NOT EXISTS resume_data (infohash TEXT PRIMARY KEY, data BLOB NOT NULL)");
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The stored resume data of <paramref name="infoHash"/>, or null (none, or the database cannot be read).</summary>
    public byte[]? Load(InfoHash infoHash) => Run(infoHash, "reading", command =>
    {
        command.CommandText = "SELECT data FROM resume_data WHERE infohash = $hash";
        return command.ExecuteScalar() as byte[];
    });

    public void Save(InfoHash infoHash, byte[] data) => Run(infoHash, "writing", command =>
    {
        command.CommandText = "INSERT INTO resume_data (infohash, data) VALUES ($hash, $data) ON CONFLICT(infohash) DO UPDATE SET data = excluded.data";
        command.Parameters.AddWithValue("$data", data);
        return command.ExecuteNonQuery();
    });

    public void Delete(InfoHash infoHash) => Run(infoHash, "deleting", command =>
    {
        command.CommandText = "DELETE FROM resume_data WHERE infohash = $hash";
        return command.ExecuteNonQuery();
    });

    private T? Run<T>(InfoHash infoHash, string what, Func<SqliteCommand, T> action) =>
        _tables.Run(
            command =>
            {
                command.Parameters.AddWithValue("$hash", infoHash.ToHex());
                return action(command);
            },
            e => Log.Failed(_logger, what, infoHash.ToHex(), e.Message));

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Resume data: {What} the row of {InfoHash} failed: {Reason}")]
        public static partial void Failed(ILogger logger, string what, string infoHash, string reason);
    }
}
