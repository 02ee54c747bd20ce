using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Registry;

namespace TorrentActors.Node.Hosting;

/// <summary>The state folder cannot be used: held by another node, or its database is unreadable.</summary>
public sealed class StateFolderException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The node's state folder, held for the life of the process: <c>lock</c>, opened with no sharing (an exclusive
/// <c>flock</c> on Linux, taken atomically by the open itself, so two nodes cannot both win), and the SQLite database
/// <c>torrentactors.db</c> the registry's journal and snapshots live in. The database is read before the node starts;
/// one that cannot be read is refused and left as it is.
/// </summary>
public sealed class StateFolder : IDisposable
{
    public const string LockFileName = "lock";

    /// <summary>The file that keeps the node's cluster name once generated, so it stays the same across restarts.</summary>
    public const string NodeNameFileName = "node-name";

    private readonly FileStream _lock;

    private StateFolder(string directory, FileStream lockStream)
    {
        Directory = directory;
        _lock = lockStream;
        DatabasePath = System.IO.Path.Combine(directory, RegistryPersistence.DatabaseFileName);
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    /// <summary>Creates the folder if needed, takes its lock and checks its database; throws <see cref="StateFolderException"/>.</summary>
    public static StateFolder Open(string directory)
    {
        var full = System.IO.Path.GetFullPath(directory);
        var lockPath = System.IO.Path.Combine(full, LockFileName);
        FileStream lockStream;
        try
        {
            System.IO.Directory.CreateDirectory(full);
            lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new StateFolderException(
                $"the state folder {full} is in use by another running node (it holds {lockPath}); stop that node or give this one another --state-dir",
                ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StateFolderException($"cannot use the state folder {full}: {ex.Message}", ex);
        }

        var folder = new StateFolder(full, lockStream);
        try
        {
            CheckDatabase(folder.DatabasePath);
            return folder;
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// The node's name in a cluster, as kept in <c>node-name</c>; the first time (or when the file does not hold a valid
    /// name) a new one is generated and written there. Throws <see cref="StateFolderException"/> when it cannot be written.
    /// </summary>
    public string NodeName()
    {
        var path = System.IO.Path.Combine(Directory, NodeNameFileName);
        try
        {
            if (File.Exists(path) && File.ReadAllText(path).Trim() is var kept && ClusterSettings.IsValidNodeName(kept))
            {
                return kept;
            }

            var name = "node-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, name + "\n");
            File.Move(temporary, path, overwrite: true);
            return name;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateFolderException($"cannot keep the node's name in {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Reads an existing database without writing to it: it must open and pass SQLite's quick check.</summary>
    private static void CheckDatabase(string path)
    {
        if (!File.Exists(path))
        {
            if (System.IO.Directory.Exists(path))
            {
                throw Unusable(path, "it is a folder");
            }

            return;
        }

        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        try
        {
            using var connection = new SqliteConnection(connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check";
            var result = command.ExecuteScalar() as string;
            if (!string.Equals(result, "ok", StringComparison.Ordinal))
            {
                throw Unusable(path, $"SQLite's check says: {result}");
            }
        }
        catch (SqliteException ex)
        {
            throw Unusable(path, ex.Message, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw Unusable(path, ex.Message, ex);
        }
    }

    private static StateFolderException Unusable(string path, string reason, Exception? inner = null) =>
        new($"the state database {path} cannot be read ({reason}); it is left as it is: move it away to start with an empty registry, or restore a good copy", inner);
}
