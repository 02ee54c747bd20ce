using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorrentActors.Actors.Cluster;

namespace TorrentActors.Actors.Registry;

/// <summary>
/// This member's copy of the cluster's catalog, in the node's state database beside the registry: the table
/// <c>cluster_catalog</c> (one row per torrent, its entry as JSON with its version) and <c>cluster_metainfo</c> (the
/// .torrent bytes). Rows are written as changes arrive and read once at start, so one surviving member, or a restart
/// of the whole cluster, brings the catalog back. Beside them <c>cluster_members</c>: the names of the members this
/// one has been up with, so that after a restart of the whole cluster it can wait for them to come back before it
/// fetches what they hold. A store without a database keeps nothing; a failed read or write is
/// a warning, never a crash.
/// </summary>
public sealed partial class CatalogStore
{
    public static readonly CatalogStore None = new(null, null);

    private readonly StateTables _tables;
    private readonly ILogger _logger;

    public CatalogStore(string? databasePath, ILogger? logger)
    {
        _tables = new StateTables(
            databasePath,
            "CREATE TABLE IF NOT EXISTS cluster_catalog (infohash TEXT PRIMARY KEY, version INTEGER NOT NULL, entry TEXT NOT NULL);" +
            "CREATE TABLE IF NOT EXISTS cluster_metainfo (infohash TEXT PRIMARY KEY, data BLOB NOT NULL);" +
            "CREATE TABLE IF NOT EXISTS cluster_members (name TEXT PRIMARY KEY)");
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Every stored entry; a row that does not read as an entry is skipped with a warning.</summary>
    public IReadOnlyList<CatalogEntry> LoadEntries() => Run("reading the catalog", command =>
    {
        command.CommandText = "SELECT infohash, entry FROM cluster_catalog";
        var entries = new List<CatalogEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var hash = reader.GetString(0);
            try
            {
                if (JsonSerializer.Deserialize<CatalogEntry>(reader.GetString(1), ClusterSerializer.Options) is { } entry
                    && string.Equals(entry.InfoHash, hash, StringComparison.Ordinal))
                {
                    entries.Add(entry);
                    continue;
                }
            }
            catch (JsonException ex)
            {
                Log.Failed(_logger, "reading", hash, ex.Message);
                continue;
            }

            Log.Failed(_logger, "reading", hash, "the row does not hold that torrent's entry");
        }

        return entries;
    }) ?? [];

    /// <summary>Every stored metainfo.</summary>
    public IReadOnlyList<TorrentMetainfo> LoadMetainfo() => Run("reading the metainfo", command =>
    {
        command.CommandText = "SELECT infohash, data FROM cluster_metainfo";
        var found = new List<TorrentMetainfo>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            found.Add(new TorrentMetainfo(reader.GetString(0), (byte[])reader.GetValue(1)));
        }

        return found;
    }) ?? [];

    /// <summary>Keeps <paramref name="entry"/> unless the stored one is as new or newer; true when written.</summary>
    public bool SaveEntry(CatalogEntry entry) => Run("writing " + entry.InfoHash, command =>
    {
        command.CommandText =
            "INSERT INTO cluster_catalog (infohash, version, entry) VALUES ($hash, $version, $entry) " +
            "ON CONFLICT(infohash) DO UPDATE SET version = excluded.version, entry = excluded.entry WHERE excluded.version > cluster_catalog.version";
        command.Parameters.AddWithValue("$hash", entry.InfoHash);
        command.Parameters.AddWithValue("$version", entry.Version);
        command.Parameters.AddWithValue("$entry", JsonSerializer.Serialize(entry, ClusterSerializer.Options));
        return command.ExecuteNonQuery() > 0;
    });

    public bool SaveMetainfo(TorrentMetainfo metainfo) => Run("writing the metainfo of " + metainfo.InfoHash, command =>
    {
        command.CommandText = "INSERT INTO cluster_metainfo (infohash, data) VALUES ($hash, $data) ON CONFLICT(infohash) DO NOTHING";
        command.Parameters.AddWithValue("$hash", metainfo.InfoHash);
        command.Parameters.AddWithValue("$data", metainfo.Bytes);
        command.ExecuteNonQuery();
        return true;
    });

    /// <summary>The names of the members this one has been up with and has not seen downed since.</summary>
    public IReadOnlyList<string> LoadMembers() => Run("reading the members", command =>
    {
        command.CommandText = "SELECT name FROM cluster_members ORDER BY name";
        var names = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }) ?? [];

    public bool SaveMember(string name) => Run("writing member " + name, command =>
    {
        command.CommandText = "INSERT INTO cluster_members (name) VALUES ($name) ON CONFLICT(name) DO NOTHING";
        command.Parameters.AddWithValue("$name", name);
        command.ExecuteNonQuery();
        return true;
    });

    public bool ForgetMember(string name) => Run("forgetting member " + name, command =>
    {
        command.CommandText = "DELETE FROM cluster_members WHERE name = $name";
        command.Parameters.AddWithValue("$name", name);
        command.ExecuteNonQuery();
        return true;
    });

    private T? Run<T>(string what, Func<SqliteCommand, T> action) =>
        _tables.Run(action, e => Log.Failed(_logger, what, "-", e.Message));

    private static partial class Log
    {
        [LoggerMessage(310, LogLevel.Warning, "Cluster catalog store: {What} ({InfoHash}) failed: {Reason}")]
        public static partial void Failed(ILogger logger, string what, string infoHash, string reason);
    }
}
