using Microsoft.Data.Sqlite;

namespace TorrentActors.Actors.Registry;

/// <summary>
/// Tables of their own in the node's state database (beside the registry's journal), for the stores that keep plain
/// rows there: one connection per call (no pool, so the file is closed between calls), calls one at a time, and the
/// tables created on first use. Without a database nothing is kept. A database that cannot be used fails only the call.
/// </summary>
internal sealed class StateTables
{
    private readonly string? _connectionString;
    private readonly string _schema;
    private readonly Lock _gate = new();
    private bool _created;

    /// <param name="schema">The <c>CREATE TABLE IF NOT EXISTS</c> statements of the tables.</param>
    public StateTables(string? databasePath, string schema)
    {
        _connectionString = databasePath is null ? null
            : new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 5 }.ToString();
        _schema = schema;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a new command; default without a database, or when the database fails (the
    /// exception is handed to <paramref name="failed"/>).
    /// </summary>
    public T? Run<T>(Func<SqliteCommand, T> action, Action<Exception> failed)
    {
        if (_connectionString is null)
        {
            return default;
        }

        try
        {
            lock (_gate)
            {
                using var connection = new SqliteConnection(_connectionString);
                connection.Open();
                if (!_created)
                {
                    using var create = connection.CreateCommand();
                    create.CommandText = _schema;
                    create.ExecuteNonQuery();
                    _created = true;
                }

                using var command = connection.CreateCommand();
                return action(command);
            }
        }
        catch (Exception e) when (e is SqliteException or IOException or InvalidOperationException or InvalidCastException)
        {
            failed(e);
            return default;
        }
    }
}
