using System.Runtime.InteropServices;

namespace TorrentActors.Engine.Making;

/// <summary>What a path names, as far as reading it as a file is concerned.</summary>
public enum FileType
{
    /// <summary>The type could not be asked (not Linux, no statx, no permission): treat as a file and let opening it tell.</summary>
    Unknown,
    Missing,
    Regular,
    Directory,
    Fifo,
    Socket,
    Device,
    SymbolicLink,
}

/// <summary>
/// Tells regular files from FIFOs, sockets and devices, which .NET reports as ordinary 0-byte files. The maker skips
/// those (as mktorrent does) and the .torrent reader refuses them: they hold no data to share, and opening a FIFO
/// that has no writer blocks.
/// </summary>
public static partial class FileKind
{
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const int NoFollow = 0x100; // AT_SYMLINK_NOFOLLOW
    private const uint TypeMask = 0x1; // STATX_TYPE
    private const int ModeOffset = 28; // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode
    private const int TypeBits = 0xF000; // S_IFMT
    private const int NoSuchFile = 2; // ENOENT
    private const int NotADirectory = 20; // ENOTDIR: a path component is a file

    /// <summary>
    /// False only when the file is known not to be a regular file (symbolic links are not followed). Where the type
    /// cannot be asked (not Linux, or a kernel without statx), every entry that .NET calls a file counts as regular.
    /// </summary>
    public static bool IsRegularFile(string path) => TypeOf(path, followLinks: false) is FileType.Regular or FileType.Unknown or FileType.Missing;

    /// <summary>The type of <paramref name="path"/> by statx (Linux); elsewhere only regular, directory or missing.</summary>
    public static unsafe FileType TypeOf(string path, bool followLinks)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Directory.Exists(path) ? FileType.Directory : File.Exists(path) ? FileType.Regular : FileType.Missing;
        }

        // struct statx is 256 bytes with the same layout on every Linux architecture.
        var buffer = stackalloc byte[256];
        try
        {
            if (Statx(CurrentDirectory, path, followLinks ? 0 : NoFollow, TypeMask, buffer) != 0)
            {
                return Marshal.GetLastPInvokeError() is NoSuchFile or NotADirectory ? FileType.Missing : FileType.Unknown;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return FileType.Unknown; // A C library older than glibc 2.28.
        }

        var mode = *(ushort*)(buffer + ModeOffset);
        return (mode & TypeBits) switch
        {
            0x8000 => FileType.Regular, // S_IFREG
            0x4000 => FileType.Directory, // S_IFDIR
            0x1000 => FileType.Fifo, // S_IFIFO
            0xC000 => FileType.Socket, // S_IFSOCK
            0x2000 or 0x6000 => FileType.Device, // S_IFCHR, S_IFBLK
            0xA000 => FileType.SymbolicLink, // S_IFLNK
            _ => FileType.Unknown,
        };
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Statx(int directory, string path, int flags, uint mask, byte* result);
}
