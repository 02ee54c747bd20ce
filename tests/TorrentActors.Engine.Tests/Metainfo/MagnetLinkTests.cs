using TorrentActors.Engine.Metainfo;
using Xunit;
using static TorrentActors.Engine.Tests.Metainfo.TorrentBuilder;

namespace TorrentActors.Engine.Tests.Metainfo;

public sealed class MagnetLinkTests
{
    private const string Hex = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

    // The same 20 bytes in RFC 4648 base32.
    private const string Base32 = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";

    [Fact]
    public void Parser_reads_a_hex_infohash_name_trackers_and_length()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btih:{Hex}&dn=Some%20Name%2Bplus&tr=http%3A%2F%2Fa.example%2Fannounce&tr=udp://b.example:80&xl=12345");
        Assert.Equal(Hex, link.InfoHash.ToHex());
        Assert.Equal("Some Name+plus", link.DisplayName);
        Assert.Equal(["http://a.example/announce", "udp://b.example:80"], link.Trackers);
        Assert.Equal(12345, link.ExactLength);
    }

    [Fact]
    public void Parser_reads_a_base32_infohash_as_the_same_hash()
    {
        Assert.Equal(Hex, MagnetLink.Parse($"magnet:?xt=urn:btih:{Base32}").InfoHash.ToHex());
        Assert.Equal(Hex, MagnetLink.Parse($"magnet:?xt=urn:btih:{Base32.ToLowerInvariant()}").InfoHash.ToHex());
    }

    [Fact]
    public void Parser_accepts_uppercase_hex_plus_for_space_in_names_and_indexed_keys()
    {
        var link = MagnetLink.Parse($"MAGNET:?xt.1=urn:btih:{Hex.ToUpperInvariant()}&dn=two+words&tr.1=http://a.example/&tr.2=http://b.example/&x.pe=1.2.3.4:5");
        Assert.Equal(Hex, link.InfoHash.ToHex());
        Assert.Equal("two words", link.DisplayName);
        Assert.Equal(2, link.Trackers.Count);
        Assert.Null(link.ExactLength);
    }

    [Fact]
    public void Parser_ignores_a_v2_topic_beside_the_v1_one()
    {
        var link = MagnetLink.Parse($"magnet:?xt=urn:btmh:1220{new string('a', 64)}&xt=urn:btih:{Hex}");
        Assert.Equal(Hex, link.InfoHash.ToHex());
    }

    [Theory]
    [InlineData("http://example.com/?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a")]
    [InlineData("magnet:xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a")]
    [InlineData("magnet:?dn=nothing")]
    [InlineData("magnet:?")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88")]
    [InlineData("magnet:?xt=urn:btih:z12fe1c06bba254a9dc9f519b335aa7c1367a88a")]
    [InlineData("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE1")]
    [InlineData("magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKE")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xl=-5")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xl=lots")]
    [InlineData("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xt=urn:btih:0000000000000000000000000000000000000000")]
    [InlineData("")]
    public void Parser_rejects_links_without_a_usable_v1_topic(string text)
    {
        Assert.False(MagnetLink.TryParse(text, out var link, out var error));
        Assert.Null(link);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Throws<FormatException>(() => MagnetLink.Parse(text));
    }

    [Fact]
    public void Writing_then_parsing_gives_back_the_same_link()
    {
        var original = new MagnetLink(InfoHash.FromHex(Hex), "name with spaces & ampersands/é", ["http://a.example/announce?x=1&y=2", "udp://b.example:6969"], 1L << 40);
        var text = original.ToString();
        Assert.StartsWith($"magnet:?xt=urn:btih:{Hex}&dn=", text);
        var parsed = MagnetLink.Parse(text);
        Assert.Equal(original.InfoHash, parsed.InfoHash);
        Assert.Equal(original.DisplayName, parsed.DisplayName);
        Assert.Equal(original.Trackers, parsed.Trackers);
        Assert.Equal(original.ExactLength, parsed.ExactLength);
    }

    [Fact]
    public void A_bare_link_is_just_the_topic() =>
        Assert.Equal($"magnet:?xt=urn:btih:{Hex}", new MagnetLink(InfoHash.FromHex(Hex)).ToString());

    [Fact]
    public void From_torrent_carries_hash_name_length_and_every_tracker()
    {
        var torrent = TorrentActors.Engine.Metainfo.Torrent.Parse(Wrap(
            SingleFileInfo("file name.bin", 40_000),
            ("announce-list", List(List(Str("http://a.example/announce")), List(Str("http://b.example/announce"), Str("http://a.example/announce"))))));
        var link = MagnetLink.FromTorrent(torrent);
        Assert.Equal(torrent.InfoHash, link.InfoHash);
        Assert.Equal("file name.bin", link.DisplayName);
        Assert.Equal(40_000, link.ExactLength);
        Assert.Equal(["http://a.example/announce", "http://b.example/announce"], link.Trackers);
        Assert.Contains("dn=file%20name.bin", link.ToString());
    }
}
