using TorrentActors.Engine.Bencoding;

namespace TorrentActors.Engine.Tests.Metainfo;

/// <summary>Builds .torrent bytes for tests out of bencode values, valid or deliberately broken.</summary>
internal static class TorrentBuilder
{
    public static BDictionary Dict(params (string Key, BValue Value)[] entries) =>
        new(entries.Select(e => new KeyValuePair<BString, BValue>(e.Key, e.Value)));

    public static BList List(params BValue[] items) => new(items);

    public static BString Str(string text) => new(text);

    public static BInteger Int(long value) => new(value);

    public static BString Pieces(int count) => new(new byte[count * 20].Select((_, i) => (byte)i).ToArray());

    public static BDictionary SingleFileInfo(string name = "file.bin", long length = 40_000, long pieceLength = 16_384) =>
        Dict(
            ("length", Int(length)),
            ("name", Str(name)),
            ("piece length", Int(pieceLength)),
            ("pieces", Pieces((int)((length + pieceLength - 1) / pieceLength))));

    public static BDictionary FileEntry(long length, params string[] path) =>
        Dict(("length", Int(length)), ("path", List(path.Select(p => (BValue)Str(p)).ToArray())));

    public static BDictionary MultiFileInfo(string name, long pieceLength, params BDictionary[] files)
    {
        var total = files.Aggregate(0L, (sum, f) => unchecked(sum + (f.GetInteger("length") ?? 0)));
        return Dict(
            ("files", List(files)),
            ("name", Str(name)),
            ("piece length", Int(pieceLength)),
            ("pieces", Pieces((int)Math.Clamp((total + pieceLength - 1) / pieceLength, 1, 1000))));
    }

    public static byte[] Wrap(BValue info, params (string Key, BValue Value)[] extra) =>
        Dict([("info", info), .. extra]).Encode();
}
