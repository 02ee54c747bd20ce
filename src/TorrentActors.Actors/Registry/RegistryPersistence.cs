using Akka.Hosting;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace TorrentActors.Actors.Registry;

/// <summary>Where the registry's journal and snapshots go: one SQLite file, or memory (tests).</summary>
public static class RegistryPersistence
{
    public const string DatabaseFileName = "torrentactors.db";

    /// <summary>
    /// Journal and snapshot store through Akka.Persistence.Sql on the SQLite file <paramref name="databasePath"/>,
    /// created with its tables when missing; with null, in memory (nothing survives the process).
    /// The plugin's HOCON goes first and <see cref="SqlPersistence.DefaultConfiguration"/> last, as the fallback.
    /// </summary>
    public static AkkaConfigurationBuilder AddRegistryPersistence(this AkkaConfigurationBuilder builder, string? databasePath)
    {
        builder.WithCustomSerializer(RegistrySerializer.SerializerName, [typeof(IRegistryPersisted)], system => new RegistrySerializer(system));
        if (databasePath is null)
        {
            return builder.AddHocon(
                """
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """,
                HoconAddMode.Prepend);
        }

        var connection = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        var quoted = "\"" + connection.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return builder
            .AddHocon(
                $$"""
                akka.persistence {
                  journal {
                    plugin = "akka.persistence.journal.sql"
                    auto-start-journals = ["akka.persistence.journal.sql"]
                    sql {
                      connection-string = {{quoted}}
                      provider-name = "SQLite.MS"
                      auto-initialize = true
                    }
                  }
                  snapshot-store {
                    plugin = "akka.persistence.snapshot-store.sql"
                    sql {
                      connection-string = {{quoted}}
                      provider-name = "SQLite.MS"
                      auto-initialize = true
                    }
                  }
                }
                """,
                HoconAddMode.Prepend)
            .AddHocon(SqlPersistence.DefaultConfiguration, HoconAddMode.Append);
    }
}
