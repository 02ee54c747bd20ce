using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Engine.Tests.Metainfo;

public sealed class TorrentPathsTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "torrentactors-paths-root");

    [Fact]
    public void Resolve_joins_components_under_the_root()
    {
        var resolved = TorrentPaths.Resolve(Root, ["album", "cd1", "01 intro.flac"]);
        Assert.Equal(Path.Combine(Path.GetFullPath(Root), "album", "cd1", "01 intro.flac"), resolved);
    }

    [Fact]
    public void Resolve_accepts_a_root_given_with_a_trailing_separator_or_relative_parts()
    {
        var viaDots = Path.Combine(Root, "x", "..") + Path.DirectorySeparatorChar;
        Assert.Equal(TorrentPaths.Resolve(Root, ["a"]), TorrentPaths.Resolve(viaDots, ["a"]));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("/")]
    [InlineData("a/b")]
    [InlineData("..\\x")]
    [InlineData("c:\\windows")]
    [InlineData("a\0b")]
    [InlineData("tab\there")]
    public void Resolve_rejects_unsafe_components(string component)
    {
        var error = Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve(Root, ["ok", component]));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("C:")]
    [InlineData("c:x")]
    [InlineData("a:b.bin")]
    [InlineData("NUL")]
    [InlineData("com1.txt")]
    [InlineData("LPT9")]
    [InlineData("aux .log")]
    [InlineData("what?.txt")]
    [InlineData("a<b")]
    [InlineData("trailing.")]
    [InlineData("trailing ")]
    public void On_windows_drive_letters_colons_device_names_and_what_windows_drops_are_refused(string component) =>
        Assert.NotNull(TorrentPaths.FindProblem(component, windows: true));

    [Theory]
    [InlineData("a:b.bin")]
    [InlineData("C:")]
    [InlineData("12:30 meeting.mp4")]
    [InlineData("NUL")]
    [InlineData("com1.txt")]
    [InlineData("what?.txt")]
    [InlineData("trailing.")]
    public void On_linux_a_colon_or_a_windows_device_name_is_an_ordinary_name(string component) =>
        Assert.Null(TorrentPaths.FindProblem(component, windows: false));

    [Fact]
    public void Resolve_follows_the_platform_the_node_runs_on_for_a_name_with_a_colon()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve(Root, ["a:b.bin"]));
            return;
        }

        Assert.Equal(Path.Combine(Path.GetFullPath(Root), "dir:1", "a:b.bin"), TorrentPaths.Resolve(Root, ["dir:1", "a:b.bin"]));
    }

    [Theory]
    [InlineData("a:b/../../x")]
    [InlineData("..")]
    [InlineData("x:\\..\\..")]
    public void A_colon_never_opens_a_way_out_of_the_root(string component) =>
        Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve(Root, ["a:b", component]));

    [Fact]
    public void Resolve_rejects_an_overlong_component() =>
        Assert.Contains("longer than 255", Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve(Root, [new string('a', 256)])).Message);

    [Theory]
    [InlineData("...")]
    [InlineData("..a")]
    [InlineData(".hidden")]
    [InlineData("CONSOLE")]
    [InlineData("con1")]
    [InlineData("naïve ünïcode ✓")]
    public void Resolve_allows_unusual_but_safe_names(string component) =>
        Assert.StartsWith(Path.GetFullPath(Root), TorrentPaths.Resolve(Root, [component]));

    [Fact]
    public void Resolve_rejects_an_empty_component_list_that_would_be_the_root_itself() =>
        Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve(Root, []));

    [Fact]
    public void Validate_names_what_was_being_checked()
    {
        var error = Assert.Throws<MetainfoException>(() => TorrentPaths.ValidateComponent("..", "file 'x/..'"));
        Assert.Contains("file 'x/..'", error.Message);
        Assert.Contains("'..'", error.Message);
    }
}
