using System.Collections.Immutable;
using System.Text;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Storage;
using TorrentActors.Engine.Tests.Client;
using Xunit;

namespace TorrentActors.Engine.Tests.Storage;

public sealed class ResumeDataTests
{
    private const int PieceLength = 16 * 1024;

    [Fact]
    public void Resume_data_reads_back_what_was_written()
    {
        var verified = new BitField(11);
        verified[0] = true;
        verified[7] = true;
        verified[10] = true;
        var data = new ResumeData(verified, [new FileStamp(123, 638_000_000_000_000_000), FileStamp.Missing]);

        var read = ResumeData.TryDecode(data.Encode(), pieceCount: 11, fileCount: 2);

        Assert.NotNull(read);
        Assert.Equal(verified.Bytes.ToArray(), read.Verified.Bytes.ToArray());
        Assert.Equal(data.Files.ToArray(), read.Files.ToArray());
    }

    [Theory]
    [InlineData("not bencode at all")]
    [InlineData("d1:vi2ee")]
    [InlineData("le")]
    public void Anything_but_resume_data_of_this_torrent_reads_as_none(string text) =>
        Assert.Null(ResumeData.TryDecode(Encoding.ASCII.GetBytes(text), 11, 2));

    [Fact]
    public void Resume_data_of_a_torrent_of_another_shape_reads_as_none()
    {
        var data = new ResumeData(new BitField(11), [new FileStamp(1, 2), new FileStamp(3, 4)]).Encode();

        Assert.Null(ResumeData.TryDecode(data, pieceCount: 12, fileCount: 2));
        Assert.Null(ResumeData.TryDecode(data, pieceCount: 11, fileCount: 3));
    }

    [Fact]
    public async Task A_session_with_matching_resume_data_seeds_without_reading_its_data()
    {
        var (data, torrent) = TestData.Create("resumed.bin", [("", 20 * PieceLength)], PieceLength);
        using var _ = data;
        var path = Path.Combine(data.Seed, "resumed.bin");
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var resume = await SeedAndCaptureAsync(engine, torrent, data.Seed);

        // Damage piece 5 and put the stamp back: only a session that reads the data can tell.
        Damage(path, 5 * PieceLength, keepStamp: true);
        var trusting = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed, Resume = resume });
        await trusting.StartAsync();
        Assert.Equal(TorrentState.Seeding, trusting.Status.State);
        await engine.RemoveAsync(torrent.InfoHash);

        var checking = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await checking.StartAsync();
        Assert.Equal(torrent.TotalLength - PieceLength, checking.Status.BytesVerified);
    }

    [Fact]
    public async Task A_file_that_changed_since_the_resume_data_is_checked_again()
    {
        var (data, torrent) = TestData.Create("changed.bin", [("", 20 * PieceLength)], PieceLength);
        using var _ = data;
        var path = Path.Combine(data.Seed, "changed.bin");
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var resume = await SeedAndCaptureAsync(engine, torrent, data.Seed);

        Damage(path, 5 * PieceLength, keepStamp: false);
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed, Resume = resume });
        await session.StartAsync();

        Assert.Equal(TorrentState.Downloading, session.Status.State);
        Assert.Equal(torrent.TotalLength - PieceLength, session.Status.BytesVerified);
    }

    [Fact]
    public async Task Only_the_files_that_changed_are_checked_and_a_vanished_file_is_never_trusted()
    {
        var (data, torrent) = TestData.Create("album", [("a.bin", 4 * PieceLength), ("b.bin", 4 * PieceLength)], PieceLength);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var resume = await SeedAndCaptureAsync(engine, torrent, data.Seed);

        // a.bin keeps its stamp though damaged (so it is trusted, unread); b.bin is gone.
        Damage(Path.Combine(data.Seed, "album", "a.bin"), 0, keepStamp: true);
        File.Delete(Path.Combine(data.Seed, "album", "b.bin"));
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed, Resume = resume });
        await session.StartAsync();

        Assert.Equal(4 * PieceLength, session.Status.BytesVerified);
    }

    [Fact]
    public async Task Pieces_the_resume_data_does_not_list_are_checked_not_trusted()
    {
        var (data, torrent) = TestData.Create("partial.bin", [("", 8 * PieceLength)], PieceLength);
        using var _ = data;
        var path = Path.Combine(data.Seed, "partial.bin");
        var half = new BitField(8);
        for (var piece = 0; piece < 4; piece++)
        {
            half[piece] = true;
        }

        Damage(path, 6 * PieceLength, keepStamp: false);
        var stamps = ImmutableArray.Create(FileStamp.Of(path));
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed, Resume = new ResumeData(half, stamps) });
        await session.StartAsync();

        Assert.Equal(7 * PieceLength, session.Status.BytesVerified); // 4 trusted, 3 of the other 4 found good by hashing
    }

    [Fact]
    public async Task A_session_started_again_after_a_stop_trusts_what_its_last_run_verified()
    {
        var (data, torrent) = TestData.Create("again.bin", [("", 10 * PieceLength)], PieceLength);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();
        await session.StopAsync();

        Damage(Path.Combine(data.Seed, "again.bin"), 2 * PieceLength, keepStamp: true);
        await session.StartAsync();

        Assert.Equal(TorrentState.Seeding, session.Status.State);
        Assert.NotNull(session.CaptureResumeData());
        Assert.True(session.CaptureResumeData()!.Verified.AllSet);
    }

    private static async Task<ResumeData> SeedAndCaptureAsync(ClientEngine engine, TorrentActors.Engine.Metainfo.Torrent torrent, string folder)
    {
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = folder });
        await session.StartAsync();
        Assert.Equal(TorrentState.Seeding, session.Status.State);
        var resume = session.CaptureResumeData();
        await engine.RemoveAsync(torrent.InfoHash);
        Assert.NotNull(resume);
        Assert.True(resume.Verified.AllSet);
        return resume;
    }

    /// <summary>Flips a byte at <paramref name="offset"/>; with <paramref name="keepStamp"/> the file keeps its size and last write time.</summary>
    private static void Damage(string path, long offset, bool keepStamp)
    {
        var stamp = File.GetLastWriteTimeUtc(path);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = offset;
            var b = file.ReadByte();
            file.Position = offset;
            file.WriteByte((byte)(b ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(path, keepStamp ? stamp : stamp.AddSeconds(5));
    }
}
