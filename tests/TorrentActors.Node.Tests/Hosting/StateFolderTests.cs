using TorrentActors.Node.Hosting;
using Xunit;

namespace TorrentActors.Node.Tests.Hosting;

public sealed class StateFolderTests : IDisposable
{
    private readonly TempFolder _temp = new("ta-state-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Opening_creates_the_folder_and_its_lock_and_names_the_database_in_it()
    {
        var directory = Path.Combine(_temp.Path, "deep", "state");
        using var state = StateFolder.Open(directory);
        Assert.Equal(directory, state.Directory);
        Assert.Equal(Path.Combine(directory, "torrentactors.db"), state.DatabasePath);
        Assert.True(File.Exists(Path.Combine(directory, "lock")));
    }

    [Fact]
    public void A_held_folder_is_refused_until_its_holder_lets_go()
    {
        var directory = Path.Combine(_temp.Path, "state");
        var first = StateFolder.Open(directory);
        var refused = Assert.Throws<StateFolderException>(() => StateFolder.Open(directory));
        Assert.Contains($"the state folder {directory} is in use by another running node", refused.Message);

        first.Dispose();
        using var second = StateFolder.Open(directory);
    }

    [Fact]
    public void An_empty_database_file_is_an_empty_database()
    {
        var directory = Path.Combine(_temp.Path, "state");
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "torrentactors.db"), []);
        using var state = StateFolder.Open(directory);
    }

    [Fact]
    public void A_folder_where_the_database_should_be_is_refused_and_the_lock_is_let_go()
    {
        var directory = Path.Combine(_temp.Path, "state");
        Directory.CreateDirectory(Path.Combine(directory, "torrentactors.db"));
        var refused = Assert.Throws<StateFolderException>(() => StateFolder.Open(directory));
        Assert.Contains("cannot be read (it is a folder)", refused.Message);

        Directory.Delete(Path.Combine(directory, "torrentactors.db"));
        using var state = StateFolder.Open(directory);
    }

    [Fact]
    public void A_file_that_is_not_SQLite_is_refused_with_its_name_and_kept_as_it_was()
    {
        var directory = Path.Combine(_temp.Path, "state");
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "torrentactors.db");
        var text = "SQLite format 3\0 but not really, just text that goes on and on"u8.ToArray();
        File.WriteAllBytes(database, [.. text, .. new byte[4096]]);
        var before = File.ReadAllBytes(database);

        var refused = Assert.Throws<StateFolderException>(() => StateFolder.Open(directory));
        Assert.Contains($"the state database {database} cannot be read", refused.Message);
        Assert.Contains("move it away", refused.Message);
        Assert.Equal(before, File.ReadAllBytes(database));
        Assert.Equal(["lock", "torrentactors.db"], Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
