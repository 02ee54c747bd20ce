using System.Text;
using BenchmarkDotNet.Attributes;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Benchmarks;

/// <summary>
/// Decoding and parsing a large but ordinary .torrent (1,000 files, 2,000 pieces) and re-encoding it:
/// <c>dotnet run -c Release --project tests/TorrentActors.Benchmarks -- --filter *BencodeBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
public class BencodeBenchmarks
{
    private byte[] _torrent = [];
    private BValue _decoded = null!;

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder("d8:announce30:http://127.0.0.1:6969/announce4:infod5:filesl");
        for (var i = 0; i < 1000; i++)
        {
            var name = $"file-{i:D4}.bin";
            text.Append($"d6:lengthi{1_000_000 + i}e4:pathl6:folder{name.Length}:{name}ee");
        }

        var total = Enumerable.Range(0, 1000).Sum(i => 1_000_000L + i);
        var pieceLength = 1L << 19;
        var pieces = (total + pieceLength - 1) / pieceLength;
        text.Append($"e4:name5:bench12:piece lengthi{pieceLength}e6:pieces{pieces * 20}:").Append('x', (int)(pieces * 20)).Append("ee");
        _torrent = Encoding.Latin1.GetBytes(text.ToString());
        _decoded = BencodeReader.Decode(_torrent);
    }

    [Benchmark]
    public BValue Decode() => BencodeReader.Decode(_torrent);

    [Benchmark]
    public Torrent ParseTorrent() => Torrent.Parse(_torrent);

    [Benchmark]
    public byte[] Encode() => _decoded.Encode();
}
