using System.Runtime.InteropServices;

namespace TorrentActors.Engine.Making;

/// <summary>
/// Tells regular files from FIFOs, sockets and devices, which .NET reports as ordinary 0-byte files. The maker skips
/// those (as mktorrent does): they hold no data to share, and opening a FIFO would block.
/// </summary>
internal static partial class FileKind
{
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int NoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint TypeMask = 0x1; // STATX_TYPE
    private const int ModeOffset = 28; // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode
    private const int TypeBits = 0xF000; // S_IFMT
    private const int Regular = 0x8000; // S_IFREG

    /// <summary>
    /// False only when the file is known not to be a regular file. Where the type cannot be asked (not Linux, or a
    /// kernel without statx), every entry that .NET calls a file counts as regular.
    /// </summary>
    public static unsafe bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        // struct statx is 256 bytes with the same layout on every Linux architecture.
        var buffer = stackalloc byte[256];
        try
        {
            if (Statx(CurrentDirectory, path, NoFollow, TypeMask, buffer) != 0)
            {
                return true;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return true; // A C library older than glibc 2.28.
        }

        var mode = *(ushort*)(buffer + ModeOffset);
        return (mode & TypeBits) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* result);
}
